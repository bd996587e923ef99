package dev.ferry.config;

import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.Appender;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.StringLayout;
import org.apache.logging.log4j.core.appender.ConsoleAppender;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.layout.AbstractStringLayout;

import java.nio.charset.Charset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A console layout that formats a line with the configured layout (message and stack trace included), then masks
 * every secret value {@link Secrets} knows. Installed from code rather than named in log4j2.properties: a custom
 * layout there needs log4j's plugin index, which javac on JDK 23+ no longer generates by default.
 */
public final class MaskingLayout extends AbstractStringLayout {

    private final StringLayout delegate;

    private MaskingLayout(StringLayout delegate) {
        super(delegate.getCharset() == null ? Charset.defaultCharset() : delegate.getCharset());
        this.delegate = delegate;
    }

    @Override
    public String toSerializable(LogEvent event) {
        return Secrets.mask(delegate.toSerializable(event));
    }

    @Override
    public String getContentType() {
        return delegate.getContentType();
    }

    /**
     * Wraps the layout of every console appender of the current log4j configuration (once; a second call finds them
     * wrapped already).
     */
    public static synchronized void install() {
        if (!(LogManager.getContext(false) instanceof LoggerContext context)) {
            return; // another logging backend: nothing to wrap
        }
        Configuration config = context.getConfiguration();
        List<ConsoleAppender> consoles = new ArrayList<>();
        for (Appender a : config.getAppenders().values()) {
            if (a instanceof ConsoleAppender c && c.getLayout() instanceof StringLayout
                    && !(c.getLayout() instanceof MaskingLayout)) {
                consoles.add(c);
            }
        }
        for (ConsoleAppender old : consoles) {
            ConsoleAppender masked = ConsoleAppender.newBuilder().setName(old.getName())
                    .setTarget(old.getTarget()).setFilter(old.getFilter())
                    .setLayout(new MaskingLayout((StringLayout) old.getLayout())).setConfiguration(config).build();
            masked.start();
            List<LoggerConfig> loggers = new ArrayList<>(config.getLoggers().values());
            loggers.add(config.getRootLogger());
            for (LoggerConfig logger : loggers) {
                Map<String, Appender> refs = logger.getAppenders();
                if (refs.get(old.getName()) == old) {
                    var ref = logger.getAppenderRefs().stream().filter(r -> r.getRef().equals(old.getName()))
                            .findFirst().orElse(null);
                    logger.removeAppender(old.getName());
                    logger.addAppender(masked, ref == null ? null : ref.getLevel(), ref == null ? null : ref.getFilter());
                }
            }
            config.getAppenders().put(old.getName(), masked);
            context.updateLoggers();
            old.stop();
        }
    }

    static boolean installedOnConsole() {
        if (!(LogManager.getContext(false) instanceof LoggerContext context)) {
            return false;
        }
        return context.getConfiguration().getAppenders().values().stream()
                .anyMatch(a -> a instanceof ConsoleAppender c && c.getLayout() instanceof MaskingLayout);
    }
}
