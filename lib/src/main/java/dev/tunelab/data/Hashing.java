package dev.tunelab.data;

import java.util.regex.Pattern;

/** Stable 64-bit string hashes for splits and de-duplication (the same on every JVM). */
final class Hashing {
    private static final Pattern SPACES = Pattern.compile("\\s+");

    private Hashing() {}

    /** A 128-bit key: two independent hashes, so a set of keys can stand in for a set of strings. */
    record Key(long a, long b) {}

    static Key key(String s) {
        return new Key(hash(s, 0x9e3779b97f4a7c15L), hash(s, 0x632be59bd9b4e019L));
    }

    /** FNV-1a over the UTF-16 units, seeded, then SplitMix64's finalizer to spread the bits. */
    static long hash(String s, long seed) {
        long h = 0xcbf29ce484222325L ^ mix(seed);
        for (int i = 0; i < s.length(); i++) {
            h ^= s.charAt(i);
            h *= 0x100000001b3L;
        }
        return mix(h);
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    static String normalizeWhitespace(String s) {
        return SPACES.matcher(s.strip()).replaceAll(" ");
    }
}
