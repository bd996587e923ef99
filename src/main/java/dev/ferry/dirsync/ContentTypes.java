package dev.ferry.dirsync;

import java.net.URLConnection;
import java.util.Locale;
import java.util.Map;

/** The Content-Type of an upload, from the file name's extension (what a static site needs served right). */
final class ContentTypes {

    private static final Map<String, String> COMMON = Map.ofEntries(
            Map.entry("html", "text/html; charset=utf-8"), Map.entry("htm", "text/html; charset=utf-8"),
            Map.entry("css", "text/css; charset=utf-8"), Map.entry("js", "text/javascript; charset=utf-8"),
            Map.entry("mjs", "text/javascript; charset=utf-8"), Map.entry("json", "application/json"),
            Map.entry("map", "application/json"), Map.entry("xml", "application/xml"),
            Map.entry("txt", "text/plain; charset=utf-8"), Map.entry("md", "text/markdown; charset=utf-8"),
            Map.entry("csv", "text/csv; charset=utf-8"), Map.entry("svg", "image/svg+xml"),
            Map.entry("png", "image/png"), Map.entry("jpg", "image/jpeg"), Map.entry("jpeg", "image/jpeg"),
            Map.entry("gif", "image/gif"), Map.entry("webp", "image/webp"), Map.entry("avif", "image/avif"),
            Map.entry("ico", "image/vnd.microsoft.icon"), Map.entry("pdf", "application/pdf"),
            Map.entry("zip", "application/zip"), Map.entry("gz", "application/gzip"),
            Map.entry("wasm", "application/wasm"), Map.entry("woff", "font/woff"), Map.entry("woff2", "font/woff2"),
            Map.entry("mp4", "video/mp4"), Map.entry("webm", "video/webm"), Map.entry("mp3", "audio/mpeg"),
            Map.entry("ndjson", "application/x-ndjson"), Map.entry("parquet", "application/vnd.apache.parquet"));

    private ContentTypes() {
    }

    static String of(String name) {
        int dot = name.lastIndexOf('.');
        if (dot >= 0 && dot > name.lastIndexOf('/')) {
            String known = COMMON.get(name.substring(dot + 1).toLowerCase(Locale.ROOT));
            if (known != null) {
                return known;
            }
        }
        String guessed = URLConnection.getFileNameMap().getContentTypeFor(name);
        return guessed != null ? guessed : "application/octet-stream";
    }
}
