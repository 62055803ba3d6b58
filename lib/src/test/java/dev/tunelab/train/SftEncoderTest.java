package dev.tunelab.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tunelab.io.Tokenizer;
import dev.tunelab.train.ChatTemplate.Message;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SftEncoderTest {
    static final long X = Losses.IGNORE_INDEX;
    // The committed byte-level BPE: <pad>=0 <s>=1 </s>=2, "he"=20, "ll"=21, "o"=11, "hello"=23, "Ġworld"=28, ...
    static Tokenizer bpe;
    static Tokenizer bytes;
    static final PromptTemplate<String[]> PAIR = PromptTemplate.of("pair", x -> x[0], x -> x[1]);

    @BeforeAll
    static void load(@TempDir Path tmp) throws Exception {
        bpe = Tokenizer.load(Path.of(SftEncoderTest.class.getResource("/tokenizer/bytebpe/tokenizer.json").toURI()));
        bytes = SftTestTokenizer.create(tmp.resolve("bytes"));
    }

    @AfterAll
    static void close() {
        bpe.close();
        bytes.close();
    }

    @Test
    void promptAndAnswerAreTokenizedSeparatelySoTheBoundaryIsExact() {
        // Together "hello" is one token (23); split as "he" | "llo" the answer keeps its own tokens.
        assertArrayEquals(new long[] {1, 23}, bpe.encode("hello", true));
        SftSequence s = new SftEncoder<>(bpe, PAIR, 64, false).encode(new String[] {"he", "llo"});
        assertArrayEquals(new long[] {1, 20, 21, 11, 2}, s.ids());
        assertArrayEquals(new long[] {X, X, 21, 11, 2}, s.labels()); // BOS and prompt masked; answer + EOS trained
        assertEquals(3, s.trainedTokens());
        assertFalse(s.truncated());
    }

    @Test
    void trainOnPromptLabelsEveryToken() {
        SftSequence s = new SftEncoder<>(bpe, PAIR, 64, true).encode(new String[] {"hello", " world"});
        assertArrayEquals(new long[] {1, 23, 28, 2}, s.ids());
        assertArrayEquals(new long[] {1, 23, 28, 2}, s.labels());
    }

    @Test
    void truncationKeepsThePromptStartAndSaysTheAnswerWasCut() {
        SftEncoder<String[]> enc3 = new SftEncoder<>(bpe, PAIR, 3, false);
        SftSequence s = enc3.encode(new String[] {"he", "llo"});
        assertArrayEquals(new long[] {1, 20, 21}, s.ids());
        assertArrayEquals(new long[] {X, X, 21}, s.labels());
        assertTrue(s.truncated());
        assertTrue(s.responseTruncated());
        // Cutting only the EOS still counts as a cut answer: the model must not learn to stop there.
        SftSequence noEos = new SftEncoder<>(bpe, PAIR, 4, false).encode(new String[] {"he", "llo"});
        assertArrayEquals(new long[] {X, X, 21, 11}, noEos.labels());
        assertTrue(noEos.responseTruncated());
    }

    @Test
    void examplesWhoseAnswerIsCutAwayAreDroppedAndCounted() {
        List<String[]> data = List.of(new String[] {"hello hello hello", " world"}, new String[] {"he", "llo"});
        SftBatches batches = SftBatches.builder(bpe, PAIR, data).maxLength(4).build();
        assertEquals(1, batches.size());
        assertEquals(1, batches.dropped());
        assertArrayEquals(new long[] {1, 20, 21, 11}, batches.sequences().get(0).ids());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SftBatches.builder(bpe, PAIR, data).maxLength(2).build());
        assertTrue(e.getMessage().contains("raise maxLength"), e.getMessage());
    }

    @Test
    void batchesArePaddedOnTheRightWithMaskedLabels() {
        List<String[]> data = List.of(new String[] {"he", "llo"}, new String[] {"hello", " world"});
        Batch b = SftBatches.builder(bpe, PAIR, data).batchSize(2).shuffle(false).build().batch(0);
        assertArrayEquals(new long[][] {{1, 20, 21, 11, 2}, {1, 23, 28, 2, 0}}, b.inputIds());
        assertArrayEquals(new long[][] {{X, X, 21, 11, 2}, {X, X, 28, 2, X}}, b.labels());
        assertArrayEquals(new long[][] {{1, 1, 1, 1, 1}, {1, 1, 1, 1, 0}}, b.attentionMask());
        assertEquals(5, b.lossTokens());
    }

    @Test
    void badExamplesNameTheirIndexAndField() {
        List<SftExample> data = List.of(SftExample.of("a", "b"), new SftExample("c", "", null));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SftBatches.builder(bytes, PromptTemplate.alpaca(), data).build());
        assertTrue(e.getMessage().contains("example 1") && e.getMessage().contains("output"), e.getMessage());
        List<SftExample> withNull = new ArrayList<>(List.of(SftExample.of("a", "b")));
        withNull.add(null);
        e = assertThrows(IllegalArgumentException.class,
                () -> SftBatches.builder(bytes, PromptTemplate.alpaca(), withNull).build());
        assertTrue(e.getMessage().contains("example 1"), e.getMessage());
    }

    @Test
    void alpacaExampleIsPromptThenOutputThenEos() {
        SftExample e = SftExample.of("Say hi.", "hi");
        SftSequence s = new SftEncoder<>(bytes, PromptTemplate.alpaca(), 1024, false).encode(e);
        long[] prompt = SftTestTokenizer.bytes(PromptTemplate.alpaca().prompt(e));
        long[] expectedIds = concat(new long[] {1}, prompt, SftTestTokenizer.bytes("hi"), new long[] {2});
        assertArrayEquals(expectedIds, s.ids());
        long[] expectedLabels = new long[expectedIds.length];
        Arrays.fill(expectedLabels, X);
        int answer = 1 + prompt.length;
        System.arraycopy(expectedIds, answer, expectedLabels, answer, 3); // 'h', 'i', EOS
        assertArrayEquals(expectedLabels, s.labels());
        assertArrayEquals(Arrays.copyOf(expectedIds, answer), new SftEncoder<>(bytes, PromptTemplate.alpaca(), 1024, false).promptIds(e));
    }

    @Test
    void multiTurnChatTakesTheLossOnAssistantTurnsOnly() {
        List<Message> chat = List.of(Message.user("Hi"), Message.assistant("Hello!"), Message.user("2+2?"), Message.assistant("4"));
        SftEncoder<List<Message>> enc = new SftEncoder<>(bytes, ChatTemplate.CHATML, 1024, false);
        SftSequence s = enc.encode(chat);
        // <|im_start|> and <|im_end|> are single special tokens (3 and 4); no EOS is appended.
        assertEquals("<s><|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n"
                + "<|im_start|>user\n2+2?<|im_end|>\n<|im_start|>assistant\n4<|im_end|>\n", bytes.decode(s.ids()));
        assertEquals(List.of("Hello!<|im_end|>", "4<|im_end|>"), trainedRuns(s));
        assertEquals(bytes.decode(enc.promptIds(chat)), "<s>" + ChatTemplate.CHATML.prompt(chat));
    }

    /** The decoded text of each maximal run of trained positions. */
    private static List<String> trainedRuns(SftSequence s) {
        List<String> runs = new ArrayList<>();
        int t = 0;
        while (t < s.length()) {
            if (s.labels()[t] == X) {
                t++;
                continue;
            }
            int start = t;
            while (t < s.length() && s.labels()[t] != X) {
                assertEquals(s.ids()[t], s.labels()[t], "a trained label is the token itself");
                t++;
            }
            runs.add(bytes.decode(Arrays.copyOfRange(s.ids(), start, t)));
        }
        return runs;
    }

    static long[] concat(long[]... parts) {
        return Arrays.stream(parts).flatMapToLong(Arrays::stream).toArray();
    }
}
