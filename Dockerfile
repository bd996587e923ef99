# Ferry container image. Build:  docker build -t ferry .
# Run (routes and configuration mounted, so an operator edits them without rebuilding the image):
#   docker run --rm -p 9876:9876 \
#     -v "$PWD/routes:/app/routes:ro" -v "$PWD/application.properties:/app/application.properties:ro" \
#     -e FERRY_S3_TO_OPENSEARCH_ENABLED=true -e FERRY_OPENSEARCH_HOSTS=opensearch:9200 ... ferry
# The entrypoint is bin/ferry, the same script CI starts from target/ferry (PackagedLayoutIT).

FROM eclipse-temurin:17-jdk AS build
WORKDIR /build
COPY mvnw pom.xml ./
COPY .mvn .mvn
# Dependencies first, so source edits do not re-download them.
RUN ./mvnw -B -q dependency:go-offline -Dferry.embedded.skip=true
COPY src src
COPY routes routes
COPY application.properties ./
# Only the runtime layout: tests run in CI against real services, not inside an image build.
RUN ./mvnw -B -q -o package -Dmaven.test.skip=true -Dferry.embedded.skip=true

FROM eclipse-temurin:17-jre
RUN groupadd --system ferry && useradd --system --gid ferry --home-dir /app --shell /usr/sbin/nologin ferry
COPY --from=build /build/target/ferry /app
# Writable only where Ferry writes at run time (the embedded H2 default and local spool files).
RUN mkdir -p /app/local-data /app/spool && chown ferry:ferry /app/local-data /app/spool
WORKDIR /app
USER ferry
ENV FERRY_PROFILE=prod \
    FERRY_MAX_RAM_PERCENTAGE=75 \
    JAVA_OPTS="-XX:+UseContainerSupport"
EXPOSE 9876
ENTRYPOINT ["/app/bin/ferry"]
