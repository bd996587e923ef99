package dev.ferry.local;

import dev.ferry.accounting.Runs;
import dev.ferry.embedded.EmbeddedServices;
import dev.ferry.testing.FerryUnderTest;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class ReportToSqlDemoTest {

    @Test
    void theDemoSeedsAReportServerAndFerryLoadsItsTwentyThousandRows() throws Exception {
        try (ReportToSqlDemo demo = new ReportToSqlDemo()) {
            Map<String, String> settings = demo.seed(EmbeddedServices.shared()); // only adopts its own report server
            try (FerryUnderTest ferry = FerryUnderTest.start(settings)) {
                Runs runs = ferry.bean("runs", Runs.class);
                await().atMost(Duration.ofMinutes(2)).until(() -> demo.finished(runs.finished()));
                assertThat(runs.finished()).allSatisfy(r -> assertThat(r.unaccounted()).isZero());
                assertThat(runs.finished().stream().mapToLong(r -> r.written()).sum()).isEqualTo(20_000);
            }
        }
    }
}
