package dev.ferry.config;

/** A setting is missing or invalid; Ferry refuses to start and says which one. */
public class InvalidSettingException extends RuntimeException {
    public InvalidSettingException(String message) {
        super(message);
    }
}
