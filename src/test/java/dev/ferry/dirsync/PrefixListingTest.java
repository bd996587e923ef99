package dev.ferry.dirsync;

import dev.ferry.embedded.EmbeddedServices;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The prefix's listing against the shared S3Proxy: split by folders or whole, paged or not, it finds exactly the
 * objects one plain listing finds (sizes and ETags too), and a failed request fails it whole.
 */
class PrefixListingTest {

    private static final String BUCKET = "prefix-listing-" + Long.toString(System.nanoTime() % 1_000_000, 36);
    private static final List<String> UNDER_PREFIX = List.of(
            "p/top1.txt", "p/top 2.txt", "p/a/", "p/a/x", "p/a/b/c/y", "p/Grüße/東京 z.csv",
            "p/remote-only/q", "p/remote-only/deeper/r", "p/many/1", "p/many/2", "p/many/3", "p/many/4", "p/many/5");
    // not "p" itself: S3Proxy's file system store cannot hold a file and a folder of one name
    private static final List<String> OUTSIDE = List.of("p2/x", "pa", "other/p/x");

    private static S3Client s3;
    private static Map<String, PrefixListing.Remote> expected;

    @BeforeAll
    static void objects() {
        s3 = EmbeddedServices.shared().s3().client();
        s3.createBucket(b -> b.bucket(BUCKET));
        int i = 0;
        for (String key : UNDER_PREFIX) {
            String content = key.endsWith("/") ? "" : "content of " + key + " ".repeat(i++);
            s3.putObject(b -> b.bucket(BUCKET).key(key), RequestBody.fromString(content));
        }
        for (String key : OUTSIDE) {
            s3.putObject(b -> b.bucket(BUCKET).key(key), RequestBody.fromString("outside"));
        }
        expected = new HashMap<>();
        for (S3Object o : s3.listObjectsV2Paginator(b -> b.bucket(BUCKET).prefix("p/")).contents()) {
            expected.put(o.key(), new PrefixListing.Remote(o.size(), DirSync.unquote(o.eTag())));
        }
        assertThat(expected).as("the plain listing this test compares with").hasSize(UNDER_PREFIX.size());
    }

    @Test
    void byFoldersSideBySideFindsWhatOnePlainListingFinds() throws Exception {
        for (Integer page : new Integer[] {null, 2}) {
            for (int parallel : new int[] {1, 3, 8}) {
                // 4 local folders, many files: the split pays at any parallelism
                PrefixListing.Listed listed = new PrefixListing(s3, BUCKET, "p/", parallel, page).list(4, 100_000);
                assertThat(listed.objects()).as("page %s, %s at once", page, parallel).isEqualTo(expected);
                assertThat(listed.folders()).as("a, Grüße, many, remote-only (a folder only S3 has)").isEqualTo(4);
                if (page == null) {
                    assertThat(listed.requests()).as("the delimiter listing, then one per folder").isEqualTo(1 + 4);
                } else {
                    assertThat(listed.requests()).as("pages of 2: many/ alone takes 3").isGreaterThanOrEqualTo(1 + 4 + 2 + 1);
                }
                assertThat(listed.how()).contains("by 4 folder(s) side by side");
            }
        }
    }

    @Test
    void wholeWhenTheSplitDoesNotPayFindsTheSame() throws Exception {
        for (Integer page : new Integer[] {null, 2}) {
            // 1,000 local folders of one file each, 8 at once: 125 rounds against one page; not split
            PrefixListing.Listed listed = new PrefixListing(s3, BUCKET, "p/", 8, page).list(1000, 1000);
            assertThat(listed.objects()).isEqualTo(expected);
            assertThat(listed.folders()).isZero();
            if (page == null) {
                assertThat(listed.requests()).isEqualTo(1);
            } else {
                assertThat(listed.requests()).isGreaterThanOrEqualTo((UNDER_PREFIX.size() + 1) / 2);
            }
        }
    }

    @Test
    void startedBesideTheCallerItAwaitsTheSameOrItsFailure() throws Exception {
        PrefixListing.Pending pending = new PrefixListing(s3, BUCKET, "p/", 3).start(4, 100_000);
        PrefixListing.Listed listed = pending.await();
        assertThat(listed.objects()).isEqualTo(expected);
        assertThat(listed.folders()).isEqualTo(4);
        pending.cancel(); // ended: nothing happens, the result stays
        assertThat(pending.await().objects()).isEqualTo(expected);

        PrefixListing.Pending missing = new PrefixListing(s3, BUCKET + "-missing", "p/", 3).start(4, 100_000);
        assertThatThrownBy(missing::await).isInstanceOf(NoSuchBucketException.class);
    }

    @Test
    void firstLevelFoldersOfRelativePaths() {
        assertThat(PrefixListing.firstLevelFolders(List.of("top.txt", "a/x", "a/b/y", "Grüße/z", "b/", "/odd")))
                .as("a, Grüße, b").isEqualTo(3);
        assertThat(PrefixListing.firstLevelFolders(List.of())).isZero();
    }

    @Test
    void theSplitPaysWhenItCostsNoMoreRoundsThanOneListing() {
        assertThat(PrefixListing.splitPays(50, 10_000, 8)).as("7 rounds against 10 pages").isTrue();
        assertThat(PrefixListing.splitPays(100, 1_000_000, 8)).isTrue();
        assertThat(PrefixListing.splitPays(8, 1, 8)).as("one round either way").isTrue();
        assertThat(PrefixListing.splitPays(9, 1, 8)).as("two rounds against one page").isFalse();
        assertThat(PrefixListing.splitPays(1000, 1000, 8)).isFalse();
        assertThat(PrefixListing.splitPays(1, 1_000_000, 8)).as("one folder: the same listing, one request more").isFalse();
        assertThat(PrefixListing.splitPays(0, 0, 8)).isFalse();
    }

    @Test
    void aFailedFolderListingFailsTheWholeListingWithS3sAnswer() {
        ExecutionInterceptor refuseOneFolder = new ExecutionInterceptor() {
            @Override
            public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
                if (context.request() instanceof ListObjectsV2Request r && "p/remote-only/".equals(r.prefix())) {
                    throw S3Exception.builder().statusCode(503).message("injected: SlowDown on p/remote-only/").build();
                }
            }
        };
        try (S3Client refusing = EmbeddedServices.shared().s3()
                .newClient(b -> b.overrideConfiguration(c -> c.addExecutionInterceptor(refuseOneFolder)))) {
            assertThatThrownBy(() -> new PrefixListing(refusing, BUCKET, "p/", 3).list(4, 100_000))
                    .isInstanceOf(S3Exception.class).hasMessageContaining("injected: SlowDown on p/remote-only/");
        }
        assertThatThrownBy(() -> new PrefixListing(s3, BUCKET + "-missing", "p/", 3).list(4, 100_000))
                .isInstanceOf(NoSuchBucketException.class);
        assertThatThrownBy(() -> new PrefixListing(s3, BUCKET + "-missing", "p/", 3).list(0, 0))
                .isInstanceOf(NoSuchBucketException.class);
    }
}
