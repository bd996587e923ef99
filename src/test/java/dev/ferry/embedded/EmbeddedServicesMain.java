package dev.ferry.embedded;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Collectors;

/**
 * Starts embedded services from the command line and keeps them up until the JVM ends (Ctrl-C, kill):
 * {@code EmbeddedServicesMain [s3] [opensearch] [opensearch3] [postgres] [sqs]} (no argument: all but sqs).
 * Prints one {@code service} line per service, a {@code pids} line (every child process), then {@code ready}.
 */
public final class EmbeddedServicesMain {

    private EmbeddedServicesMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        List<String> wanted = args.length == 0 ? List.of("s3", "opensearch", "opensearch3", "postgres") : List.of(args);
        EmbeddedServices services = EmbeddedServices.shared();
        List<ChildProcess> children = new ArrayList<>();
        for (String name : wanted) {
            switch (name) {
                case "s3": {
                    S3ProxyServer s3 = services.s3();
                    System.out.println("service s3 " + s3.endpoint() + " accessKey=" + s3.accessKey()
                            + " secretKey=" + s3.secretKey() + " region=" + s3.region());
                    children.add(s3.process());
                    break;
                }
                case "opensearch":
                case "opensearch3": {
                    OpenSearchLine line = name.equals("opensearch") ? EmbeddedServices.DEFAULT_OPENSEARCH_LINE : OpenSearchLine.V3;
                    if (!line.isAvailable()) {
                        System.out.println("unavailable " + name + ": " + line.unavailableReason().orElse(""));
                        break;
                    }
                    OpenSearchNode node = services.openSearch(line);
                    System.out.println("service " + name + " " + node.url() + " version=" + node.version());
                    children.add(node.process());
                    break;
                }
                case "postgres": {
                    PostgresServer pg = services.postgres();
                    System.out.println("service postgres " + pg.jdbcUrl("postgres") + " user=" + pg.user()
                            + " password=" + pg.password());
                    children.add(pg.process());
                    break;
                }
                case "sqs": { // in this JVM: no child process
                    SqsServer sqs = services.sqs();
                    System.out.println("service sqs " + sqs.endpoint() + " accessKey=" + SqsServer.ACCESS_KEY
                            + " secretKey=" + SqsServer.SECRET_KEY + " region=" + SqsServer.REGION);
                    break;
                }
                default:
                    throw new IllegalArgumentException("unknown service " + name + " (s3, opensearch, opensearch3, postgres, sqs)");
            }
        }
        System.out.println("pids " + children.stream().flatMap(c -> c.processTree().stream())
                .map(p -> Long.toString(p.pid())).collect(Collectors.joining(" ")));
        System.out.println("ready");
        System.out.flush();
        new CountDownLatch(1).await();
    }
}
