package dev.coderun.gateway.runs;

import java.security.SecureRandom;
import java.util.UUID;

/** UUIDv7 run ids (RFC 9562): time-ordered, so the newest-first listing is also id order within a millisecond. */
final class RunIds {

    private static final SecureRandom RANDOM = new SecureRandom();

    private RunIds() {}

    static UUID next(long epochMillis) {
        long randA = RANDOM.nextInt(1 << 12);
        long msb = (epochMillis << 16) | (0x7L << 12) | randA;
        long lsb = (RANDOM.nextLong() & 0x3FFF_FFFF_FFFF_FFFFL) | 0x8000_0000_0000_0000L;
        return new UUID(msb, lsb);
    }
}
