package dev.ferry.embedded;

import org.elasticmq.NodeAddress;
import org.elasticmq.rest.sqs.SQSRestServer;
import org.elasticmq.rest.sqs.SQSRestServerBuilder;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

import java.net.URI;
import java.util.Map;

/**
 * ElasticMQ, the SQS-compatible server, in this JVM on 127.0.0.1 (in memory). Ferry reaches it over HTTP with the AWS
 * SDK exactly as it reaches SQS; child-process replicas reach it the same way.
 */
public final class SqsServer implements AutoCloseable {

    public static final String ACCESS_KEY = "ferry-test-access-key";
    public static final String SECRET_KEY = "ferry-test-secret-key";
    public static final String REGION = "us-east-1";

    private final SQSRestServer server;
    private final URI endpoint;
    private final SqsClient client;

    private SqsServer(SQSRestServer server, URI endpoint) {
        this.server = server;
        this.endpoint = endpoint;
        this.client = SqsClient.builder().endpointOverride(endpoint).region(Region.of(REGION))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)))
                .build();
    }

    /** Starts a new server on a free port; prefer {@code EmbeddedServices.shared().sqs()}. */
    public static SqsServer start() {
        int port = FreePorts.next();
        SQSRestServer server = SQSRestServerBuilder.withInterface("127.0.0.1").withPort(port)
                .withServerAddress(new NodeAddress("http", "127.0.0.1", port, ""))
                .withAWSRegion(REGION).start();
        server.waitUntilStarted();
        return new SqsServer(server, URI.create("http://127.0.0.1:" + port));
    }

    public URI endpoint() {
        return endpoint;
    }

    /** A client of this server (closed with it). */
    public SqsClient client() {
        return client;
    }

    /**
     * Creates a queue (or returns the existing one's URL) whose messages, once received {@code maxReceives} times
     * without being deleted, move to {@code <name>-redrive}, the poison-message queue; returns the queue's URL.
     */
    public String createQueue(String name, int visibilitySeconds, int maxReceives) {
        String redriveUrl = client.createQueue(b -> b.queueName(name + "-redrive")).queueUrl();
        String redriveArn = client.getQueueAttributes(b -> b.queueUrl(redriveUrl)
                .attributeNames(QueueAttributeName.QUEUE_ARN)).attributes().get(QueueAttributeName.QUEUE_ARN);
        return client.createQueue(b -> b.queueName(name).attributes(Map.of(
                QueueAttributeName.VISIBILITY_TIMEOUT, Integer.toString(visibilitySeconds),
                QueueAttributeName.REDRIVE_POLICY, "{\"maxReceiveCount\":\"" + maxReceives
                        + "\",\"deadLetterTargetArn\":\"" + redriveArn + "\"}"))).queueUrl();
    }

    /** Messages in the queue: visible, in flight (received, not yet deleted) and delayed together. */
    public int depth(String queueUrl) {
        Map<QueueAttributeName, String> a = client.getQueueAttributes(b -> b.queueUrl(queueUrl).attributeNames(
                QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES, QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE,
                QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_DELAYED)).attributes();
        return a.values().stream().mapToInt(Integer::parseInt).sum();
    }

    /** Ferry's settings for this server. */
    public Map<String, String> ferrySettings() {
        return Map.of("ferry.sqs.endpoint", endpoint.toString(), "ferry.sqs.region", REGION,
                "ferry.sqs.access-key", ACCESS_KEY, "ferry.sqs.secret-key", SECRET_KEY);
    }

    @Override
    public void close() {
        client.close();
        server.stopAndWait();
    }

    @Override
    public String toString() {
        return "ElasticMQ " + endpoint;
    }
}
