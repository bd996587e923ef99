# syntax=docker/dockerfile:1
# Ferry container image. Build (BuildKit, the default builder since Docker 23):  docker build -t ferry .
# Run (routes and configuration mounted, so an operator edits them without rebuilding the image):
#   docker run --rm -p 9876:9876 --stop-timeout 30 \
#     -v "$PWD/routes:/app/routes:ro" -v "$PWD/application.properties:/app/application.properties:ro" \
#     -e FERRY_S3_TO_OPENSEARCH_ENABLED=true -e FERRY_OPENSEARCH_HOSTS=opensearch:9200 ... ferry
# The entrypoint is bin/ferry, the same script CI starts from target/ferry (PackagedLayoutIT).
# src/test/docker/replay-build-stage.sh runs this file's build-stage commands outside Docker (CI has no Docker).

FROM eclipse-temurin:17-jdk AS build
WORKDIR /build
COPY mvnw pom.xml ./
COPY .mvn .mvn
COPY src/main src/main
COPY routes routes
COPY application.properties ./
# One ordinary online build, with Maven's repository in a cache mount: whatever the build needs (plugins and their
# own dependencies included) is fetched by the build itself. A `dependency:go-offline` layer followed by an offline
# `package` missed plugin dependencies (jackson-core 2.18.3 and four more) and failed. The cache mount keeps the
# repository between builds, so a source edit does not download everything again.
# Tests run in CI against real services, not inside an image build; the embedded test services are not Ferry.
RUN --mount=type=cache,target=/root/.m2 \
    ./mvnw -B -q package -Dmaven.test.skip=true -Dferry.embedded.skip=true

FROM eclipse-temurin:17-jre
# A fixed numeric user, so that Kubernetes' runAsNonRoot can check it (deploy/kubernetes/deployment.yaml).
RUN groupadd --system --gid 10001 ferry \
 && useradd --system --uid 10001 --gid ferry --home-dir /app --shell /usr/sbin/nologin ferry
COPY --from=build /build/target/ferry /app
# Writable only where Ferry writes at run time (the embedded H2 default and local spool files).
RUN mkdir -p /app/local-data /app/spool && chown ferry:ferry /app/local-data /app/spool
# Class-data sharing (README, "Running in a container"): a training run writes lib/ferry.jsa, which bin/ferry then
# uses, so every start maps Ferry's classes instead of loading them from jars. Made here, by this stage's JRE: an
# archive only fits the JVM and jars that made it, so one from the build stage's JDK would be ignored. The training
# reaches nothing outside the image (closed loopback ports). As root: lib/ stays read-only for ferry.
RUN FERRY_HOME=/app /app/bin/ferry --create-cds-archive
WORKDIR /app
USER 10001:10001
# Shutdown: on SIGTERM in-flight work gets CAMEL_MAIN_SHUTDOWN_TIMEOUT seconds (what is left is redone on the next
# start). 25 s fits Kubernetes' default grace period (30 s) with room for the JVM to exit. Docker's default is 10 s:
# run with --stop-timeout 30 (compose: stop_grace_period: 30s), or lower CAMEL_MAIN_SHUTDOWN_TIMEOUT to 8. A longer
# timeout needs a longer grace period (Kubernetes: terminationGracePeriodSeconds = timeout + 5).
ENV FERRY_PROFILE=prod \
    FERRY_MAX_RAM_PERCENTAGE=75 \
    CAMEL_MAIN_SHUTDOWN_TIMEOUT=25 \
    JAVA_OPTS="-XX:+UseContainerSupport"
EXPOSE 9876
# Liveness only (readiness, /observe/health/ready, also checks S3, OpenSearch and the database): bash's /dev/tcp, as
# the JRE image has no curl. The health paths never need credentials.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${FERRY_MANAGEMENT_PORT:-9876} && printf 'GET /observe/health/live HTTP/1.0\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]
ENTRYPOINT ["/app/bin/ferry"]
