package dev.ferry.local;

import dev.ferry.Pipeline;
import dev.ferry.accounting.RunAccount;
import dev.ferry.embedded.EmbeddedServices;
import dev.ferry.embedded.report.ReportServer;

import java.time.LocalDateTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Local mode for report-to-sql: an embedded SSRS-like report server with NTLM on, 20,000 rows (5 hours x 4 plants x
 * 1,000 rows), loaded in five one-hour windows into Ferry's database (local H2 in SQL Server mode unless ferry.db.*
 * says otherwise). Finished when five runs have succeeded.
 */
public final class ReportToSqlDemo implements PipelineDemo, AutoCloseable {

    static final int WINDOWS = 5;
    static final LocalDateTime START = LocalDateTime.parse("2026-01-01T00:00");
    private ReportServer server;

    @Override
    public String pipeline() {
        return Pipeline.REPORT_TO_SQL.id();
    }

    @Override
    public Map<String, String> seed(EmbeddedServices services) {
        // Sample credentials of the embedded server only; nothing real.
        String password = "demo-" + Long.toHexString(System.nanoTime());
        server = ReportServer.start(ReportServer.Settings.defaults().plants(List.of("A", "B", "C", "D")).rowsPerHour(1000)
                .ntlm("CORP", "svc_ferry", password));
        services.adopt("Report server (SSRS URL access, NTLM)", server.baseUrl() + "?/Manufacturing/Tracking", server);
        Map<String, String> s = new HashMap<>();
        s.put("ferry.report-to-sql.enabled", "true");
        s.put("ferry.report-to-sql.base-url", server.baseUrl());
        s.put("ferry.report-to-sql.report-path", "/Manufacturing/Tracking");
        s.put("ferry.report-to-sql.parameters", "Plant=A|B|C|D");
        s.put("ferry.report-to-sql.auth-method", "ntlm");
        s.put("ferry.report-to-sql.domain", "CORP");
        s.put("ferry.report-to-sql.user", "svc_ferry");
        s.put("ferry.report-to-sql.password", password);
        s.put("ferry.report-to-sql.start", START.toString());
        s.put("ferry.report-to-sql.until", START.plusHours(WINDOWS).toString());
        s.put("ferry.report-to-sql.window-hours", "1");
        s.put("ferry.report-to-sql.max-catch-up-windows", String.valueOf(WINDOWS));
        // a few scrapes of a local Prometheus see the counters at zero before the first window loads
        s.put("ferry.report-to-sql.initial-delay-ms", "3000");
        s.put("ferry.report-to-sql.min-request-interval-ms", "500");
        return s;
    }

    @Override
    public boolean finished(java.util.List<RunAccount> finished) {
        return finished.stream().filter(r -> r.pipeline().equals(pipeline()))
                .filter(r -> r.status() == RunAccount.Status.SUCCEEDED).count() >= WINDOWS;
    }

    public ReportServer server() {
        return server;
    }

    @Override
    public void close() {
        if (server != null) {
            server.close();
        }
    }
}
