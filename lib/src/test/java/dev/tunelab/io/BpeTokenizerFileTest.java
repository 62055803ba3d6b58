package dev.tunelab.io;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The tokenizer.json the trainer writes, read back by the Hugging Face tokenizers library through
 * DJL ({@link Tokenizer#load}): the native ids must be the trainer's own Java ids, and decoding
 * must give the text back. Trained on the TinyStories training files when the shared data sets
 * are there, else on the small corpus in the test resources.
 */
class BpeTokenizerFileTest {

    @TempDir
    static Path dir;
    static BpeModel model;
    static Tokenizer tok;
    static boolean tinyStories;

    /** Text that byte-level BPE gets wrong if any piece is off: unicode, white space of every kind. */
    static final List<String> CRAFTED = List.of(
            "",
            "a",
            "Once upon a time, there was a little girl named Lily.",
            "café, naïve, Zoë, crème brûlée, é (U+00E9) and e\u0301 (combining accent)",
            "中文字符和日本語のテキスト",
            "emoji 😊🚀 and a family 👩‍👩‍👧 (joiners), flags 🇫🇷",
            "  two leading spaces, trailing three   ",
            "tabs\tin\t\tthe middle\t",
            "new\nlines\n\n\nand\r\nCRLF\r\n",
            "   \n\t  \n ",
            " ",
            "\n",
            "no-break\u00a0space, ideographic\u3000space, line\u2028separator, en\u2002space",
            // Unicode white space next to punctuation: split apart only if \s is Unicode-aware, as in Oniguruma
            "word\u00a0! and\u3000\u3000x, a \u00a0b, end.\u2028\u2028Next\u00a0\u00a0.",
            // runs of one symbol: merges must go left to right ("..." is ".. ." not ". ..")
            "Hmm... Wow!!! Zzz... Noooo! ahhhhh.....    \n\n\n\n",
            "I'm sure you're right, they've said we'll go; it's Tom's, isn't it? DON'T",
            "numbers 12345 3.14 1,000,000 and ①②③ and ٣٤٥",
            "symbols: <>[]{}()!?@#$%^&*_-+=|\\/~`\"';:",
            "mojibake as in the data: â€œHelloâ€ he said â€™",
            "a lone <|im_start without its end, <|endoftext| and <| |>");

    @BeforeAll
    static void train() throws IOException, URISyntaxException {
        Path ts = sharedDatasets().resolve("tinystories");
        tinyStories = Files.isRegularFile(ts.resolve("tinystories_train_head_2MiB.txt"));
        List<String> docs = tinyStories ? trainingStories(ts)
                : BpeTrainer.readDocuments(BpeTrainerTest.resource("bpe/corpus.txt"), BpeTrainer.ENDOFTEXT);
        model = BpeTrainer.builder().vocabSize(tinyStories ? 1024 : 400).build().train(docs);
        model.save(dir);
        tok = Tokenizer.load(dir);
    }

    @AfterAll
    static void close() {
        if (tok != null) {
            tok.close();
        }
    }

    @Test
    void nativeLibraryReadsTheFileWithItsSpecialTokens() {
        assertEquals(model.vocabSize(), tok.vocabSize());
        assertEquals(1, tok.bosId().getAsLong());
        assertEquals(2, tok.eosId().getAsLong());
        assertEquals(0, tok.padId().getAsLong());
        assertEquals("<|endoftext|>", tok.eosToken().orElseThrow());
        assertEquals(2048, tok.modelMaxLength().getAsInt());
        assertEquals(BpeTrainer.CHATML_TEMPLATE, tok.chatTemplate().orElseThrow());
        assertEquals(tinyStories ? 1024 : 400, model.vocabSize());
    }

    @Test
    void nativeIdsEqualJavaIdsAndDecodeRoundTrips() {
        for (String text : CRAFTED) {
            assertNativeMatches(text);
        }
    }

    @Test
    void specialTokensAreSingleIdsAndSkippedWhenAsked() {
        String chat = "<|im_start|>user\nTell me a story.<|im_end|>\n<|im_start|>assistant\nOnce<|endoftext|>";
        long[] ids = tok.encode(chat, false);
        assertArrayEquals(toLong(model.encode(chat)), ids);
        assertEquals(3, ids[0]);
        assertEquals(2, ids[ids.length - 1]);
        assertEquals(2, Arrays.stream(ids).filter(i -> i == 3).count());
        assertEquals(1, Arrays.stream(ids).filter(i -> i == 4).count());
        for (String s : model.specialTokens()) {
            assertArrayEquals(new long[] {model.id(s)}, tok.encode(s, false), s);
        }
        assertEquals(chat, tok.decode(ids, false));
        assertEquals("user\nTell me a story.\nassistant\nOnce", tok.decode(ids, true));
        assertEquals("user\nTell me a story.\nassistant\nOnce", model.decode(model.encode(chat), true));
        // with special tokens, the post-processor puts BOS (id 1) in front and nothing at the end
        long[] withBos = tok.encode("The end.");
        assertEquals(1, withBos[0]);
        assertArrayEquals(toLong(model.encode("The end.", true)), withBos);
        assertEquals("The end.", tok.decode(withBos, true));
    }

    /** About the first 200 stories of the held-out file: paragraph by paragraph and as one text. */
    @Test
    void heldOutStoriesRoundTrip() throws IOException {
        Path val = sharedDatasets().resolve("tinystories/tinystories_validation_head.txt");
        assumeTrue(Files.isRegularFile(val), "held-out file not found at " + val
                + " (set TUNELAB_DATA to a mirror of ../shared/datasets); skipping");
        String text = Files.readString(val, StandardCharsets.UTF_8);
        // ~1,000 stories in 794 KB, blank lines between stories and between paragraphs alike
        String head = text.substring(0, text.indexOf("\n\n", text.length() / 5) + 2);
        List<String> paragraphs = Arrays.asList(head.split("\n\n"));
        assertTrue(paragraphs.size() > 800, "paragraphs: " + paragraphs.size());
        for (String p : paragraphs) {
            assertNativeMatches(p);
        }
        assertNativeMatches(head);
        // a tokenizer that learned anything compresses English well beyond one byte per token
        var c = model.compression(List.of(head));
        assertTrue(c.bytesPerToken() > (tinyStories ? 3.0 : 1.5), "bytes/token " + c.bytesPerToken());
    }

    @Test
    void bytesOfEveryValueSurviveTheRoundTrip() {
        // every single byte token decodes to its byte; invalid UTF-8 alone becomes U+FFFD, as in HF
        StringBuilder all = new StringBuilder();
        for (int cp = 0; cp < 0x800; cp++) {
            if (!Character.isSurrogate((char) cp)) {
                all.appendCodePoint(cp);
            }
        }
        assertNativeMatches(all.toString());
        int highByte = model.id(String.valueOf(BpeByteLevel.byteToChar(0xC3)));
        assertEquals("\uFFFD", tok.decode(new long[] {highByte}));
        assertEquals("\uFFFD", model.decode(new int[] {highByte}, false));
    }

    /**
     * Pre-token boundaries and merge order only show in the ids where learned merges cross them,
     * so this tokenizer learns from the hard cases themselves: with Java's ASCII-only {@code \s}
     * it would merge "\u00a0!" into one token where the native library keeps them apart, and with
     * right-to-left merging "..." would come out as ". .." instead of "...".
     */
    @Test
    void nativeAgreesWhenTrainedOnTheHardCases(@TempDir Path tmp) {
        List<String> docs = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            docs.addAll(CRAFTED);
            docs.add("aaa bbbbb ... !!! \u00a0\u00a0! x\u3000\u3000. 1234567");
        }
        BpeModel hard = BpeTrainer.builder().vocabSize(2000).minFrequency(2).build().train(docs);
        assertTrue(hard.mergeCount() > 300, "merges: " + hard.mergeCount());
        try {
            hard.save(tmp);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        try (Tokenizer t = Tokenizer.load(tmp)) {
            for (String text : docs) {
                assertNativeMatches(hard, t, text);
            }
            assertArrayEquals(new long[] {hard.id("...")}, t.encode("...", false));
        }
    }

    private static void assertNativeMatches(String text) {
        assertNativeMatches(model, tok, text);
    }

    private static void assertNativeMatches(BpeModel model, Tokenizer tok, String text) {
        int[] java = model.encode(text);
        long[] ids = tok.encode(text, false);
        assertArrayEquals(toLong(java), ids, () -> "ids differ for " + quote(text));
        assertEquals(text, tok.decode(ids, false), () -> "native round trip of " + quote(text));
        assertEquals(text, model.decode(java, false), () -> "Java round trip of " + quote(text));
    }

    private static String quote(String s) {
        return '"' + (s.length() > 200 ? s.substring(0, 200) + "..." : s).replace("\n", "\\n") + '"';
    }

    private static long[] toLong(int[] a) {
        return Arrays.stream(a).asLongStream().toArray();
    }

    /** The whole stories of both TinyStories training files. */
    static List<String> trainingStories(Path tinyStoriesDir) throws IOException {
        List<String> docs = new ArrayList<>();
        for (String f : List.of("tinystories_train_head_2MiB.txt", "tinystories_train_sample_1727.txt")) {
            docs.addAll(BpeTrainer.readDocuments(tinyStoriesDir.resolve(f), BpeTrainer.ENDOFTEXT));
        }
        return docs;
    }

    /** TUNELAB_DATA, else ../shared/datasets next to the repository root. */
    static Path sharedDatasets() {
        return TokenizerTest.sharedDatasets();
    }
}
