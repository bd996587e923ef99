package dev.ferry.report;

import org.apache.camel.component.http.HttpClientConfigurer;
import org.apache.hc.client5.http.auth.AuthSchemeFactory;
import org.apache.hc.client5.http.auth.AuthScope;
import org.apache.hc.client5.http.auth.Credentials;
import org.apache.hc.client5.http.auth.NTCredentials;
import org.apache.hc.client5.http.auth.StandardAuthScheme;
import org.apache.hc.client5.http.auth.UsernamePasswordCredentials;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.auth.BasicCredentialsProvider;
import org.apache.hc.client5.http.impl.auth.BasicSchemeFactory;
import org.apache.hc.client5.http.impl.classic.HttpClientBuilder;
import org.apache.hc.core5.http.config.RegistryBuilder;

import java.util.List;

/**
 * Gives the report's HTTP client its credentials (NTLM with domain, or Basic), the way camel-http's own
 * {@code authMethod} options do, but without putting the password into an endpoint URI: it lives only here and in
 * the HTTP client's credentials provider, never in a log line, a route dump or a metric. It also switches off the
 * HTTP client's own retries. The read timeout is long
 * (a render takes minutes) and is set on the endpoint; a 401 is never retried (see the route).
 */
public final class ReportHttpAuth implements HttpClientConfigurer {

    private final String method;
    private final String user;
    private final char[] password;
    private final String domain;

    public ReportHttpAuth(String method, String user, String password, String domain) {
        this.method = method;
        this.user = user;
        this.password = password == null ? new char[0] : password.toCharArray();
        this.domain = domain;
    }

    @Override
    @SuppressWarnings("deprecation") // NTLM is deprecated in httpclient5, yet it is what SSRS on IIS speaks
    public void configureHttpClient(HttpClientBuilder builder) {
        // httpclient5 would silently retry a 429/503 once on its own, unpaced and uncounted: retries belong to the
        // route (backoff, jitter, minimum interval, counted in ferry_records_retried_total).
        builder.disableAutomaticRetries();
        if ("none".equals(method) || user == null) { // no user: the pipeline is off or misconfigured (a 401 will say so)
            return;
        }
        String scheme = "ntlm".equals(method) ? StandardAuthScheme.NTLM : StandardAuthScheme.BASIC;
        Credentials credentials = "ntlm".equals(method)
                ? new NTCredentials(user, password, null, domain) // no workstation: setting one broke the handshake
                : new UsernamePasswordCredentials(user, password);
        BasicCredentialsProvider provider = new BasicCredentialsProvider();
        provider.setCredentials(new AuthScope(null, -1), credentials);
        builder.setDefaultCredentialsProvider(provider);
        builder.setDefaultAuthSchemeRegistry(RegistryBuilder.<AuthSchemeFactory>create()
                .register(StandardAuthScheme.BASIC, BasicSchemeFactory.INSTANCE)
                .register(StandardAuthScheme.NTLM, org.apache.hc.client5.http.impl.auth.NTLMSchemeFactory.INSTANCE)
                .build());
        builder.setDefaultRequestConfig(RequestConfig.custom().setTargetPreferredAuthSchemes(List.of(scheme)).build());
    }

    @Override
    public String toString() {
        return "ReportHttpAuth[" + method + (user == null ? "" : " user=" + (domain == null ? "" : domain + "\\") + user) + "]";
    }
}
