package dev.ferry.config;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** A fresh SHA-256 digest, without the checked exception that every JDK makes impossible. */
public final class Sha256 {

    private Sha256() {
    }

    public static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
