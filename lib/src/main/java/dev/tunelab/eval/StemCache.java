package dev.tunelab.eval;

import java.util.concurrent.ConcurrentHashMap;

/** Porter stems of words already seen; a vocabulary is small, so scoring long texts stems each word once. */
final class StemCache {
    private final ConcurrentHashMap<String, String> stems = new ConcurrentHashMap<>();
    private final int capacity;

    StemCache(int capacity) {
        this.capacity = capacity;
    }

    String stem(String word) {
        String s = stems.get(word);
        if (s == null) {
            s = PorterStemmer.stem(word);
            if (stems.size() < capacity) { // beyond the cap, stem without remembering: memory stays bounded
                stems.put(word, s);
            }
        }
        return s;
    }
}
