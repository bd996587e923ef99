package dev.ferry.embedded;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.InvocationTargetException;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * First main class of every child process the harness starts, so that no child outlives the JVM that
 * started it, even when that JVM is SIGKILLed: the parent holds the write end of this process's stdin
 * pipe and never writes to it; when the parent goes away the OS closes the pipe, a daemon thread sees
 * EOF and ends this process.
 *
 * <pre>
 * java -cp watchdog:realClasspath dev.ferry.embedded.ParentWatchdog &lt;realMainClass&gt; args...
 *     runs realMainClass.main(args) in this JVM; on EOF: Runtime.halt
 * java -cp watchdog dev.ferry.embedded.ParentWatchdog --exec &lt;command&gt; args...
 *     runs a native command (its output goes to ours, its stdin is /dev/null) and exits with its code;
 *     on EOF: kill -&lt;ferry.watchdog.signal, default TERM&gt; the command, SIGKILL after 15 s, then halt
 * </pre>
 *
 * Self-contained on purpose (JDK only, no nested classes): the harness copies this single class file
 * onto the children's class paths.
 */
public final class ParentWatchdog {

    private ParentWatchdog() {
    }

    public static void main(String[] args) throws Throwable {
        if (args.length == 0) {
            System.err.println("usage: ParentWatchdog <mainClass> args... | --exec <command> args...");
            System.exit(2);
        }
        if ("--exec".equals(args[0])) {
            exec(Arrays.copyOfRange(args, 1, args.length));
            return;
        }
        watch(() -> log("parent gone (stdin closed): halting"));
        Class<?> mainClass = Class.forName(args[0]);
        try {
            mainClass.getMethod("main", String[].class).invoke(null, (Object) Arrays.copyOfRange(args, 1, args.length));
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    private static void exec(String[] command) throws Exception {
        Process process = new ProcessBuilder(command)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.INHERIT)
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        String signal = System.getProperty("ferry.watchdog.signal", "TERM");
        watch(() -> {
            log("parent gone (stdin closed): sending SIG" + signal + " to " + process.pid());
            try {
                new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).inheritIO().start().waitFor();
                if (!process.waitFor(15, TimeUnit.SECONDS)) {
                    log("still running after 15 s: SIGKILL");
                    process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
            } catch (IOException | InterruptedException e) {
                process.destroyForcibly();
            }
        });
        System.exit(process.waitFor());
    }

    /** Starts the daemon thread that reads stdin until EOF, runs {@code beforeHalt}, then halts. */
    private static void watch(Runnable beforeHalt) {
        Thread thread = new Thread(() -> {
            byte[] buffer = new byte[256];
            try {
                InputStream in = System.in;
                while (in.read(buffer) >= 0) {
                    // the parent never writes; anything read is ignored
                }
            } catch (IOException e) {
                // treat a broken pipe like EOF
            }
            try {
                beforeHalt.run();
            } finally {
                Runtime.getRuntime().halt(0);
            }
        }, "ferry-parent-watchdog");
        thread.setDaemon(true);
        thread.start();
    }

    private static void log(String message) {
        System.err.println("[ParentWatchdog] " + message);
        System.err.flush();
    }
}
