package dev.ferry.records;

import java.util.LinkedHashMap;
import java.util.Map;

/** Field paths over nested maps: {@code a.b.c}; a key that itself holds the dots ({@code "a.b"}) is found first. */
final class FieldPath {

    private FieldPath() {
    }

    static Object get(Map<String, Object> fields, String path) {
        Object direct = fields.get(path);
        if (direct != null || path.indexOf('.') < 0) {
            return direct;
        }
        Object current = fields;
        int from = 0;
        while (current instanceof Map<?, ?> map) {
            int dot = path.indexOf('.', from);
            String key = dot < 0 ? path.substring(from) : path.substring(from, dot);
            current = map.get(key);
            if (dot < 0) {
                return current;
            }
            from = dot + 1;
        }
        return null;
    }

    @SuppressWarnings("unchecked")
    static void set(Map<String, Object> fields, String path, Object value) {
        if (path.indexOf('.') < 0 || fields.containsKey(path)) {
            fields.put(path, value);
            return;
        }
        Map<String, Object> current = fields;
        int from = 0;
        for (int dot = path.indexOf('.'); dot >= 0; dot = path.indexOf('.', from)) {
            String key = path.substring(from, dot);
            Object next = current.get(key);
            if (!(next instanceof Map)) {
                next = new LinkedHashMap<String, Object>();
                current.put(key, next);
            }
            current = (Map<String, Object>) next;
            from = dot + 1;
        }
        current.put(path.substring(from), value);
    }

    static Object remove(Map<String, Object> fields, String path) {
        if (path.indexOf('.') < 0 || fields.containsKey(path)) {
            return fields.remove(path);
        }
        int last = path.lastIndexOf('.');
        Object parent = get(fields, path.substring(0, last));
        return parent instanceof Map<?, ?> map ? map.remove(path.substring(last + 1)) : null;
    }
}
