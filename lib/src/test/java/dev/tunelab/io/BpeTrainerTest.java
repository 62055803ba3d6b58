package dev.tunelab.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class BpeTrainerTest {

    /** Documents that are single words, so that the pre-tokenizer adds no "Ġ" and the counts are exact. */
    private static List<String> words(Object... wordAndCount) {
        List<String> docs = new ArrayList<>();
        for (int i = 0; i < wordAndCount.length; i += 2) {
            docs.addAll(Collections.nCopies((Integer) wordAndCount[i + 1], (String) wordAndCount[i]));
        }
        return docs;
    }

    private static BpeTrainer.Builder plain() {
        return BpeTrainer.builder().bos(null).eos(null).pad(null).specialTokens().vocabSize(1000).minFrequency(1);
    }

    /**
     * The word counts of Sennrich et al. 2016's example (low 5, lower 2, newest 6, widest 3),
     * without their end-of-word marker. Worked out by hand, ties going to the smaller left token:
     * pair counts start at es 9, st 9, we 8, lo 7, ow 7, ne 6, ew 6, wi 3, id 3, de 3, er 2.
     * 1 "e s" (9, ties "s t" and wins on "e" < "s") -> newest = n e w es t, widest = w i d es t;
     * 2 "es t" (9); 3 "l o" (7, ties "o w"); 4 "lo w" (7); 5 "e w" (6, ties "n e" and "w est");
     * 6 "ew est" (6, ties "n ew": "ew" < "n"); 7 "n ewest"; 8 "d est" (3, ties "i d", "w i");
     * 9 "i dest" (3, ties "w i"); 10 "w idest"; 11 "e r" (2, ties "low e"); 12 "low er". Then
     * every word is one token and nothing is left to merge.
     */
    @Test
    void sennrichExampleMergesAsWorkedOutByHand() {
        BpeModel m = plain().build().train(words("low", 5, "lower", 2, "newest", 6, "widest", 3));
        assertEquals(List.of("e s", "es t", "l o", "lo w", "e w", "ew est", "n ewest", "d est", "i dest",
                "w idest", "e r", "low er"), m.merges());
        assertEquals(256 + 12, m.vocabSize());
        assertEquals("no pair left to merge", m.trainingStats().stoppedBecause());
        assertArrayEquals(new int[] {m.id("lower")}, m.encode("lower"));
        // an unseen word is split by the merges in rank order: l o w e s t -> l o w es t -> l o w est -> lo w est -> low est
        assertArrayEquals(new int[] {m.id("low"), m.id("est")}, m.encode("lowest"));
    }

    @Test
    void minFrequencyAndVocabSizeStopTraining() {
        List<String> docs = words("low", 5, "lower", 2, "newest", 6, "widest", 3);
        BpeModel f3 = plain().minFrequency(3).build().train(docs);
        assertEquals(10, f3.mergeCount(), "merges 11 and 12 have count 2");
        assertTrue(f3.trainingStats().stoppedBecause().contains("minFrequency 3"), f3.trainingStats().stoppedBecause());
        BpeModel v = plain().vocabSize(256 + 4).build().train(docs);
        assertEquals(List.of("e s", "es t", "l o", "lo w"), v.merges());
        assertEquals("vocabulary size reached", v.trainingStats().stoppedBecause());
    }

    @Test
    void specialTokensTakeTheFirstIdsAndAreNotLearned() {
        BpeModel m = BpeTrainer.builder().vocabSize(300).minFrequency(1).build()
                .train(List.of("hi<|endoftext|>hi<|endoftext|>hi<|im_start|>"));
        assertEquals(List.of("<|pad|>", "<|bos|>", "<|endoftext|>", "<|im_start|>", "<|im_end|>"), m.specialTokens());
        for (int i = 0; i < 5; i++) {
            assertEquals(m.specialTokens().get(i), m.token(i));
        }
        assertEquals("!", m.token(5 + '!'), "byte tokens follow in byte order");
        assertEquals("Ġ", m.token(5 + ' '), "GPT-2's byte-to-unicode mapping");
        // "hi" (3 times) is the only pair: the special tokens' own characters were never counted
        assertEquals(List.of("h i"), m.merges());
        assertArrayEquals(new int[] {m.id("hi"), 2, m.id("hi")}, m.encode("hi<|endoftext|>hi"));
        assertArrayEquals(new int[] {1, m.id("hi")}, m.encode("hi", true), "BOS in front");
    }

    @Test
    void builderRejectsImpossibleSettings() {
        var e = assertThrows(IllegalArgumentException.class, () -> BpeTrainer.builder().vocabSize(200).build());
        assertTrue(e.getMessage().contains("256 byte tokens"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> BpeTrainer.builder().minFrequency(0).build());
        assertThrows(IllegalArgumentException.class, () -> BpeTrainer.builder().specialTokens("").build());
    }

    @Test
    void replaceMergesLeftToRightWithoutOverlap() {
        assertArrayEquals(new int[] {9, 1}, BpeTrainer.replace(new int[] {1, 1, 1}, 1, 1, 9));
        assertArrayEquals(new int[] {9, 9}, BpeTrainer.replace(new int[] {1, 1, 1, 1}, 1, 1, 9));
        assertArrayEquals(new int[] {0, 9, 3, 9}, BpeTrainer.replace(new int[] {0, 1, 2, 3, 1, 2}, 1, 2, 9));
        assertNull(BpeTrainer.replace(new int[] {2, 1}, 1, 2, 9));
    }

    /**
     * The incremental pair counts must give the very merges of the textbook algorithm that
     * recounts every pair after every merge, on corpora made to have many ties and repeated
     * letters ("aaaa": overlapping pairs).
     */
    @Test
    void incrementalCountsGiveTheSameMergesAsFullRecounts() {
        for (int seed = 0; seed < 30; seed++) {
            Random r = new Random(seed);
            List<String> docs = new ArrayList<>();
            for (int d = 0; d < 40; d++) {
                StringBuilder sb = new StringBuilder();
                int n = 1 + r.nextInt(12);
                for (int i = 0; i < n; i++) {
                    sb.append("aab cba".charAt(r.nextInt(seed % 2 == 0 ? 3 : 7)));
                }
                docs.add(sb.toString());
            }
            int vocab = 256 + 5 + 40;
            BpeModel m = BpeTrainer.builder().vocabSize(vocab).minFrequency(1).build().train(docs);
            assertEquals(naiveMerges(docs, vocab - 5), m.merges(), "seed " + seed);
        }
    }

    /** Textbook BPE on pre-tokenized byte-level words: recount all pairs, merge the best, repeat. */
    private static List<String> naiveMerges(List<String> docs, int vocabSize) {
        Map<List<String>, Long> words = new LinkedHashMap<>();
        for (String d : docs) {
            for (String w : BpeByteLevel.preTokenize(d)) {
                List<String> sym = new ArrayList<>();
                for (char c : BpeByteLevel.encode(w).toCharArray()) {
                    sym.add(String.valueOf(c));
                }
                words.merge(sym, 1L, Long::sum);
            }
        }
        java.util.Set<String> vocab = new java.util.HashSet<>();
        for (int b = 0; b < 256; b++) {
            vocab.add(String.valueOf(BpeByteLevel.byteToChar(b)));
        }
        List<String> merges = new ArrayList<>();
        while (vocab.size() < vocabSize) {
            Map<List<String>, Long> pairs = new HashMap<>();
            words.forEach((w, n) -> {
                for (int i = 0; i + 1 < w.size(); i++) {
                    pairs.merge(List.of(w.get(i), w.get(i + 1)), n, Long::sum);
                }
            });
            List<String> best = null;
            long bestN = 0;
            for (var e : pairs.entrySet()) {
                List<String> p = e.getKey();
                long n = e.getValue();
                int c = best == null ? -1 : n != bestN ? Long.compare(bestN, n)
                        : p.get(0).equals(best.get(0)) ? p.get(1).compareTo(best.get(1)) : p.get(0).compareTo(best.get(0));
                if (c < 0) {
                    best = p;
                    bestN = n;
                }
            }
            if (best == null) {
                break;
            }
            merges.add(best.get(0) + " " + best.get(1));
            String joined = best.get(0) + best.get(1);
            vocab.add(joined);
            Map<List<String>, Long> next = new LinkedHashMap<>();
            for (var e : words.entrySet()) {
                List<String> w = e.getKey(), out = new ArrayList<>();
                for (int i = 0; i < w.size(); i++) {
                    if (i + 1 < w.size() && w.get(i).equals(best.get(0)) && w.get(i + 1).equals(best.get(1))) {
                        out.add(joined);
                        i++;
                    } else {
                        out.add(w.get(i));
                    }
                }
                next.merge(out, e.getValue(), Long::sum);
            }
            words = next;
        }
        return merges;
    }

    @Test
    void trainingTwiceWritesByteIdenticalFiles(@TempDir Path tmp) throws IOException, URISyntaxException {
        List<String> docs = BpeTrainer.readDocuments(resource("bpe/corpus.txt"), BpeTrainer.ENDOFTEXT);
        Path a = tmp.resolve("a"), b = tmp.resolve("b");
        BpeTrainer.builder().vocabSize(400).build().train(docs).save(a);
        List<String> reversed = new ArrayList<>(docs);
        Collections.reverse(reversed); // document order must not matter either
        BpeTrainer.builder().vocabSize(400).build().train(reversed).save(b);
        for (String f : List.of("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json")) {
            assertArrayEquals(Files.readAllBytes(a.resolve(f)), Files.readAllBytes(b.resolve(f)), f);
        }
        String json = Files.readString(a.resolve("tokenizer.json"));
        assertTrue(json.contains("\"type\": \"BPE\""), "model type written, as tokenizers 0.20+ requires");
        assertFalse(json.contains("\r"), "platform-independent line ends");
    }

    @Test
    void readDocumentsSplitsAtSeparatorAndDropsTheCutOffTail() throws IOException, URISyntaxException {
        List<String> docs = BpeTrainer.readDocuments(resource("bpe/corpus.txt"), BpeTrainer.ENDOFTEXT);
        assertEquals(4, docs.size());
        assertTrue(docs.get(0).startsWith("Tom had a red kite."));
        assertTrue(docs.get(3).startsWith("Indented with a tab"), "stripped of surrounding white space");
        assertTrue(docs.get(3).endsWith("The end."));
        assertTrue(docs.stream().noneMatch(d -> d.contains("cut-off")));
    }

    /** The full TinyStories training text (3.5 MB) to 4096 tokens: counting plus merging, one core. */
    @Test
    void trainsOnTinyStoriesInSeconds() throws IOException {
        Path ts = BpeTokenizerFileTest.sharedDatasets().resolve("tinystories");
        assumeTrue(Files.isDirectory(ts), "shared data sets not found at " + ts
                + " (set TUNELAB_DATA to a mirror of ../shared/datasets); skipping");
        List<String> docs = BpeTokenizerFileTest.trainingStories(ts);
        assertEquals(2316 + 1727, docs.size(), "whole stories of both files, cut-off tails dropped");
        BpeModel m = BpeTrainer.builder().vocabSize(4096).build().train(docs);
        assertEquals(4096, m.vocabSize());
        double s = m.trainingStats().seconds();
        System.out.printf("BPE 4096 on %d bytes: %.2f s%n", m.trainingStats().bytes(), s);
        assertTrue(s < 60, "took " + s + " s");
        assertTrue(m.trainingStats().bytes() > 3_400_000);
    }

    static Path resource(String name) throws URISyntaxException {
        return Path.of(BpeTrainerTest.class.getResource("/" + name).toURI());
    }
}
