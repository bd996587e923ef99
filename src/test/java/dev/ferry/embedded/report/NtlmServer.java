package dev.ferry.embedded.report;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Set;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.crypto.digests.MD4Digest;

/**
 * Server side of NTLM (MS-NLMP) as IIS does it for HTTP: Type 1 (NEGOTIATE) -> Type 2
 * (CHALLENGE) -> Type 3 (AUTHENTICATE), with a real NTLMv2 verification of the Type 3.
 * Only NTLMv2 responses are accepted (that is what Apache httpclient sends when the challenge
 * carries target info, which ours always does). Never logs or exposes the password.
 */
final class NtlmServer {

    static final int NEGOTIATE_UNICODE = 0x00000001;
    static final int NEGOTIATE_OEM = 0x00000002;
    static final int REQUEST_TARGET = 0x00000004;
    static final int NEGOTIATE_NTLM = 0x00000200;
    static final int NEGOTIATE_ALWAYS_SIGN = 0x00008000;
    static final int TARGET_TYPE_DOMAIN = 0x00010000;
    static final int NEGOTIATE_EXTENDED_SESSIONSECURITY = 0x00080000;
    static final int NEGOTIATE_TARGET_INFO = 0x00800000;
    static final int NEGOTIATE_VERSION = 0x02000000;
    static final int NEGOTIATE_128 = 0x20000000;
    static final int NEGOTIATE_56 = 0x80000000;

    private static final byte[] SIGNATURE = "NTLMSSP\0".getBytes(StandardCharsets.US_ASCII);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final String domain;
    private final String user;
    private final byte[] ntHash; // MD4(UTF-16LE(password)); the password itself is not kept
    private final String computer;
    private final String dnsDomain;

    NtlmServer(String domain, String user, String password, String computer) {
        this.domain = domain;
        this.user = user;
        this.ntHash = md4(password.getBytes(StandardCharsets.UTF_16LE));
        this.computer = computer;
        this.dnsDomain = domain.toLowerCase(Locale.ROOT) + ".local";
    }

    /** A pending challenge, to be answered by a Type 3 on the same connection. */
    record Challenge(byte[] serverChallenge, String headerValue, long createdNanos) {
    }

    /** Outcome of a Type 3 verification. user/domain/workstation are what the client claimed. */
    record Result(boolean ok, String user, String domain, String workstation, String reason) {
    }

    static int messageType(byte[] msg) {
        if (msg.length < 12 || !Arrays.equals(Arrays.copyOf(msg, 8), SIGNATURE)) {
            return -1;
        }
        return le32(msg, 8);
    }

    /** Builds the Type 2 message answering a Type 1. */
    Challenge challenge(byte[] type1) {
        int clientFlags = type1.length >= 16 ? le32(type1, 12) : 0;
        byte[] serverChallenge = new byte[8];
        RANDOM.nextBytes(serverChallenge);
        int flags = NEGOTIATE_UNICODE | REQUEST_TARGET | NEGOTIATE_NTLM | NEGOTIATE_ALWAYS_SIGN
                | TARGET_TYPE_DOMAIN | NEGOTIATE_EXTENDED_SESSIONSECURITY | NEGOTIATE_TARGET_INFO
                | NEGOTIATE_VERSION;
        flags |= clientFlags & (NEGOTIATE_128 | NEGOTIATE_56);
        if ((clientFlags & NEGOTIATE_UNICODE) == 0 && (clientFlags & NEGOTIATE_OEM) != 0) {
            flags = (flags & ~NEGOTIATE_UNICODE) | NEGOTIATE_OEM;
        }
        byte[] targetName = (flags & NEGOTIATE_UNICODE) != 0
                ? domain.toUpperCase(Locale.ROOT).getBytes(StandardCharsets.UTF_16LE)
                : domain.toUpperCase(Locale.ROOT).getBytes(StandardCharsets.US_ASCII);
        byte[] targetInfo = targetInfo();

        int headerLen = 56;
        ByteBuffer b = ByteBuffer.allocate(headerLen + targetName.length + targetInfo.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(SIGNATURE);
        b.putInt(2);
        securityBuffer(b, targetName.length, headerLen);
        b.putInt(flags);
        b.put(serverChallenge);
        b.putLong(0); // reserved
        securityBuffer(b, targetInfo.length, headerLen + targetName.length);
        b.put(new byte[] {10, 0}).putShort((short) 19041).put(new byte[] {0, 0, 0, 0x0F}); // version 10.0.19041, NTLMSSP rev 15
        b.put(targetName);
        b.put(targetInfo);
        String header = "NTLM " + Base64.getEncoder().encodeToString(b.array());
        return new Challenge(serverChallenge, header, System.nanoTime());
    }

    private byte[] targetInfo() {
        ByteBuffer b = ByteBuffer.allocate(512).order(ByteOrder.LITTLE_ENDIAN);
        av(b, 2, domain.toUpperCase(Locale.ROOT).getBytes(StandardCharsets.UTF_16LE));       // MsvAvNbDomainName
        av(b, 1, computer.toUpperCase(Locale.ROOT).getBytes(StandardCharsets.UTF_16LE));     // MsvAvNbComputerName
        av(b, 4, dnsDomain.getBytes(StandardCharsets.UTF_16LE));                             // MsvAvDnsDomainName
        av(b, 3, (computer.toLowerCase(Locale.ROOT) + "." + dnsDomain).getBytes(StandardCharsets.UTF_16LE)); // MsvAvDnsComputerName
        Instant now = Instant.now();
        long fileTime = (now.getEpochSecond() + 11_644_473_600L) * 10_000_000L + now.getNano() / 100;
        av(b, 7, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(fileTime).array()); // MsvAvTimestamp
        b.putShort((short) 0).putShort((short) 0);                                                 // MsvAvEOL
        return Arrays.copyOf(b.array(), b.position());
    }

    private static void av(ByteBuffer b, int id, byte[] value) {
        b.putShort((short) id).putShort((short) value.length).put(value);
    }

    private static void securityBuffer(ByteBuffer b, int len, int offset) {
        b.putShort((short) len).putShort((short) len).putInt(offset);
    }

    /** Verifies a Type 3 against the challenge issued on the same connection. */
    Result verify(byte[] type3, byte[] serverChallenge) {
        try {
            if (messageType(type3) != 3 || type3.length < 52) {
                return new Result(false, null, null, null, "not an NTLM Type 3 message");
            }
            byte[] lm = field(type3, 12);
            byte[] nt = field(type3, 20);
            int flags = type3.length >= 64 ? le32(type3, 60) : 0;
            boolean unicode = (flags & NEGOTIATE_UNICODE) != 0;
            String dom = string(field(type3, 28), unicode);
            String usr = string(field(type3, 36), unicode);
            String ws = string(field(type3, 44), unicode);
            if (nt.length <= 24) {
                return new Result(false, usr, dom, ws, "NTLMv1/NTLM2 session responses are not accepted (lm " + lm.length + " bytes, nt " + nt.length + " bytes)");
            }
            if (!user.equalsIgnoreCase(usr) || !domain.equalsIgnoreCase(dom)) {
                return new Result(false, usr, dom, ws, "unknown user or domain");
            }
            byte[] proof = Arrays.copyOfRange(nt, 0, 16);
            byte[] blob = Arrays.copyOfRange(nt, 16, nt.length);
            // NTOWFv2 = HMAC_MD5(MD4(UTF16LE(pw)), UTF16LE(UPPER(user) + userDom)). Clients differ in
            // the case of userDom they use (httpclient upper-cases it), so accept either spelling.
            Set<String> domains = new LinkedHashSet<>();
            domains.add(dom);
            domains.add(dom.toUpperCase(Locale.ROOT));
            domains.add(domain);
            domains.add(domain.toUpperCase(Locale.ROOT));
            for (String d : domains) {
                byte[] ntowf = hmacMd5(ntHash, (usr.toUpperCase(Locale.ROOT) + d).getBytes(StandardCharsets.UTF_16LE));
                byte[] expected = hmacMd5(ntowf, concat(serverChallenge, blob));
                if (MessageDigest.isEqual(expected, proof)) {
                    return new Result(true, usr, dom, ws, null);
                }
            }
            return new Result(false, usr, dom, ws, "NTLMv2 response does not match");
        } catch (RuntimeException e) {
            return new Result(false, null, null, null, "malformed Type 3: " + e);
        }
    }

    private static byte[] field(byte[] msg, int at) {
        int len = le16(msg, at);
        int off = le32(msg, at + 4);
        if (len == 0) {
            return new byte[0];
        }
        if (off < 0 || off + len > msg.length) {
            throw new IllegalArgumentException("security buffer out of range");
        }
        return Arrays.copyOfRange(msg, off, off + len);
    }

    private static String string(byte[] b, boolean unicode) {
        return new String(b, unicode ? StandardCharsets.UTF_16LE : StandardCharsets.US_ASCII);
    }

    private static int le16(byte[] b, int at) {
        return (b[at] & 0xFF) | (b[at + 1] & 0xFF) << 8;
    }

    private static int le32(byte[] b, int at) {
        return (b[at] & 0xFF) | (b[at + 1] & 0xFF) << 8 | (b[at + 2] & 0xFF) << 16 | (b[at + 3] & 0xFF) << 24;
    }

    static byte[] md4(byte[] in) {
        MD4Digest md = new MD4Digest();
        md.update(in, 0, in.length);
        byte[] out = new byte[16];
        md.doFinal(out, 0);
        return out;
    }

    static byte[] hmacMd5(byte[] key, byte[] data) {
        try {
            Mac mac = Mac.getInstance("HmacMD5");
            mac.init(new SecretKeySpec(key, "HmacMD5"));
            return mac.doFinal(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
