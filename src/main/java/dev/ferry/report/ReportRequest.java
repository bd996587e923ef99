package dev.ferry.report;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;

/**
 * Builds the SSRS URL-access query of one window: {@code /Folder/Report&rs:Command=Render&rs:Format=CSV}, the
 * configured parameters (a multi-value parameter repeated once per value), the device-info ({@code rc:}) settings,
 * and the window as the from/to parameters. It goes into the {@code CamelHttpQuery} header, so the report's
 * parameters never mix with Camel's endpoint options.
 */
public final class ReportRequest {

    private final String reportPath;
    private final Map<String, List<String>> parameters;
    private final Map<String, List<String>> deviceInfo;
    private final String fromParameter;
    private final String toParameter;
    private final DateTimeFormatter format;

    public ReportRequest(ReportToSqlSettings settings) {
        this(settings.reportPath(), settings.parameters(), settings.deviceInfo(), settings.fromParameter(),
                settings.toParameter(), DateTimeFormatter.ofPattern(settings.windowFormat()));
    }

    public ReportRequest(String reportPath, Map<String, List<String>> parameters, Map<String, List<String>> deviceInfo,
                         String fromParameter, String toParameter, DateTimeFormatter format) {
        this.reportPath = reportPath;
        this.parameters = parameters;
        this.deviceInfo = deviceInfo;
        this.fromParameter = fromParameter;
        this.toParameter = toParameter;
        this.format = format;
    }

    public String query(ReportWindow window) {
        // The path's slashes stay readable, as SSRS shows them; everything else is encoded.
        StringBuilder q = new StringBuilder(encode(reportPath).replace("%2F", "/"))
                .append("&rs:Command=Render&rs:Format=CSV");
        parameters.forEach((name, values) -> values.forEach(v -> q.append('&').append(encode(name)).append('=').append(encode(v))));
        deviceInfo.forEach((name, values) -> values.forEach(v -> q.append('&').append(encode(name).replace("%3A", ":"))
                .append('=').append(encode(v))));
        q.append('&').append(encode(fromParameter)).append('=').append(encode(format.format(window.from())));
        q.append('&').append(encode(toParameter)).append('=').append(encode(format.format(window.to())));
        return q.toString();
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
