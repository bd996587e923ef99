/**
 * An embedded stand-in for SQL Server Reporting Services URL access, for tests, benchmarks and local mode.
 *
 * <ul>
 *   <li>{@link dev.ferry.embedded.report.ReportServer}: the HTTP server (JDK {@code HttpServer} on 127.0.0.1,
 *       thread pool). {@code GET /ReportServer?/Folder/Report&rs:Command=Render&rs:Format=CSV&Plant=A&Plant=B
 *       &From=..&To=..}; NTLM (NTLMv2 verified against the configured password), Basic or no auth; scripted
 *       responses ({@code enqueue}), switchable behaviours ({@code behaviour()}), recorded requests, counters.</li>
 *   <li>{@link dev.ferry.embedded.report.TrackingReport}: the deterministic manufacturing-tracking rows, as an
 *       {@code Iterator<Row>} (expected values) or as the exact CSV bytes (to a stream or a file).</li>
 * </ul>
 *
 * <p>Defects ({@link dev.ferry.embedded.report.ReportServer.Defect}) are placed by row index within a
 * response (0-based, header excluded): {@code server.behaviour().defect(7, Defect.BAD_QUANTITY)} makes data row 7
 * of every response carry {@code 12x} as Quantity; {@code server.expectedRows(..)} reports the same defects
 * ({@code Row.defect()}), so a test can assert that exactly those rows were rejected.
 *
 * <p>Standalone: {@code java -cp <test classpath> dev.ferry.embedded.report.ReportServer --auth ntlm --domain CORP
 * --user svc_ferry --rows-per-hour 250000} with the password in {@code FERRY_REPORT_PASSWORD}; prints
 * {@code REPORT_SERVER_URL=http://127.0.0.1:PORT/ReportServer} and runs until killed.
 */
package dev.ferry.embedded.report;
