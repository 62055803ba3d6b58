package dev.tunelab.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.tunelab.io.Tokenizer.Batch;
import dev.tunelab.io.Tokenizer.Padding;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalLong;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Tests on tokenizer/bytebpe: a byte-level BPE written by hand, ids
 * 0 &lt;pad&gt; 1 &lt;s&gt; 2 &lt;/s&gt; (special), 3 Ġ (space), 4 a 5 b 6 c 7 d 8 e 9 h 10 l 11 o 12 r
 * 13 w 14 ! 15 t 16 . 17 n 18 i 19 s, then one token per merge in rank order:
 * 20 he 21 ll 22 hell 23 hello 24 Ġw 25 or 26 Ġwor 27 Ġworl 28 Ġworld 29 Ġt 30 Ġthe 31 is 32 Ġis
 * 33 ab 34 Ġc 35 Ġca 36 Ġcab 37 er 38 Ġs 39 Ġst 40 on 41 Ġa. The post-processor adds &lt;s&gt;.
 * Its tokenizer_config.json writes the special tokens in the AddedToken object form.
 */
class TokenizerTest {

    static Path dir;
    static Tokenizer tok;

    @BeforeAll
    static void load() throws URISyntaxException {
        dir = Path.of(TokenizerTest.class.getResource("/tokenizer/bytebpe/tokenizer.json").toURI()).getParent();
        tok = Tokenizer.load(dir);
    }

    @AfterAll
    static void close() {
        tok.close();
    }

    // ------------------------------------------------------------ encode / decode

    @Test
    void encodesWithMergesAppliedByRank() {
        // "hello" -> h e l l o -> he ll (ranks 0, 1) -> hell -> hello; " world" -> Ġworld via Ġw, or, ...
        assertArrayEquals(new long[] {1, 23, 28}, tok.encode("hello world"));
        // "the": (h e) is merged, but "Ġt he" needs "Ġt": t he.
        // " cab": (a b) has a lower rank than (Ġ c), so Ġ c ab -> Ġc ab, and (Ġc a) never applies.
        // " is": i s -> is, then Ġ is -> Ġis.  " here": he r e, as (e r) has lost its e to "he".
        assertArrayEquals(new long[] {1, 15, 20, 34, 33, 32, 3, 20, 12, 8, 16}, tok.encode("the cab is here."));
    }

    @Test
    void encodeWithoutSpecialTokens() {
        assertArrayEquals(new long[] {23, 28}, tok.encode("hello world", false));
        assertArrayEquals(new long[] {1}, tok.encode(""));
        assertArrayEquals(new long[] {}, tok.encode("", false));
    }

    @Test
    void specialTokenWrittenInTextIsRecognized() {
        assertArrayEquals(new long[] {1, 23, 2}, tok.encode("hello</s>"));
    }

    @Test
    void decodeRoundTripsAndSkipsSpecialTokens() {
        String text = "the cab is here.";
        assertEquals(text, tok.decode(tok.encode(text), true));
        assertEquals("<s>" + text, tok.decode(tok.encode(text)));
        assertEquals("<s>hello world</s>", tok.decode(new long[] {1, 23, 28, 2}, false));
        assertEquals("hello world", tok.decode(new long[] {1, 23, 28, 2}, true));
        // a bare byte-level space token and unmerged pieces decode to the right bytes
        assertEquals(" here", tok.decode(new long[] {3, 20, 12, 8}));
    }

    @Test
    void decodeRejectsIdsOutsideTheVocabulary() {
        var e = assertThrows(IllegalArgumentException.class, () -> tok.decode(new long[] {1, 42}));
        assertTrue(e.getMessage().contains("42"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> tok.decode(new long[] {-1}));
    }

    @Test
    void vocabularyLookups() {
        assertEquals(42, tok.vocabSize());
        assertEquals(OptionalLong.of(28), tok.tokenToId("\u0120world"));
        assertEquals(OptionalLong.of(2), tok.tokenToId("</s>"));
        assertTrue(tok.tokenToId("world").isEmpty());
        assertEquals("\u0120cab", tok.idToToken(36).orElseThrow());
        assertEquals("<pad>", tok.idToToken(0).orElseThrow());
        assertTrue(tok.idToToken(42).isEmpty());
        assertTrue(tok.idToToken(-1).isEmpty());
        assertTrue(tok.isSpecial(1));
        assertFalse(tok.isSpecial(23));
    }

    // ------------------------------------------------------------ tokenizer_config.json

    @Test
    void specialTokensInObjectForm() {
        assertEquals(OptionalLong.of(1), tok.bosId());
        assertEquals(OptionalLong.of(2), tok.eosId());
        assertEquals(OptionalLong.of(0), tok.padId());
        assertTrue(tok.unkId().isEmpty()); // "unk_token": null
        assertEquals("</s>", tok.eosToken().orElseThrow());
        assertTrue(tok.modelMaxLength().isEmpty()); // 1e30 means no limit
        assertEquals("{% for m in messages %}<s>{{ m['role'] }}: {{ m['content'] }}</s>{% endfor %}",
                tok.chatTemplate().orElseThrow());
    }

    @Test
    void specialTokensInStringFormAndEosPadding(@TempDir Path tmp) throws IOException {
        try (Tokenizer t = withConfig(tmp, """
                {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<pad>", "model_max_length": 16,
                 "chat_template": [{"name": "default", "template": "A"}, {"name": "tool_use", "template": "B"}]}
                """)) {
            assertEquals(OptionalLong.of(1), t.bosId());
            assertEquals(OptionalLong.of(2), t.eosId());
            assertEquals(OptionalLong.of(0), t.unkId());
            assertTrue(t.padId().isEmpty());
            assertEquals(16, t.modelMaxLength().getAsInt());
            assertEquals("A", t.chatTemplate().orElseThrow());
            assertEquals("B", t.chatTemplates().get("tool_use"));
            // no pad token: batches pad with EOS (2), the mask tells padding from a real EOS
            Batch b = t.encodeBatch(List.of("hello", "hello world"), Padding.RIGHT);
            assertArrayEquals(new long[][] {{1, 23, 2}, {1, 23, 28}}, b.ids());
            assertArrayEquals(new long[][] {{1, 1, 0}, {1, 1, 1}}, b.attentionMask());
        }
    }

    @Test
    void addBosAndEosFlagsOverrideThePostProcessor(@TempDir Path tmp) throws IOException {
        try (Tokenizer t = withConfig(tmp, """
                {"bos_token": "<s>", "eos_token": "</s>", "add_bos_token": false, "add_eos_token": true}
                """)) {
            assertArrayEquals(new long[] {23, 28, 2}, t.encode("hello world"));
            assertArrayEquals(new long[] {23, 28}, t.encode("hello world", false));
        }
    }

    @Test
    void addBosTokenPrependsWhenThePostProcessorDoesNot(@TempDir Path tmp) throws IOException {
        var mapper = new com.fasterxml.jackson.databind.ObjectMapper();
        var json = (com.fasterxml.jackson.databind.node.ObjectNode) mapper.readTree(dir.resolve("tokenizer.json").toFile());
        json.putNull("post_processor");
        mapper.writeValue(tmp.resolve("tokenizer.json").toFile(), json);
        Files.writeString(tmp.resolve("tokenizer_config.json"), "{\"bos_token\": \"<s>\", \"add_bos_token\": true}");
        try (Tokenizer t = Tokenizer.load(tmp)) {
            assertArrayEquals(new long[] {1, 23, 28}, t.encode("hello world"));
            assertArrayEquals(new long[] {23, 28}, t.encode("hello world", false));
        }
        Files.writeString(tmp.resolve("tokenizer_config.json"), "{\"bos_token\": \"<s>\"}");
        try (Tokenizer t = Tokenizer.load(tmp)) {
            assertArrayEquals(new long[] {23, 28}, t.encode("hello world")); // nothing asks for BOS
        }
    }

    @Test
    void withoutConfigThereAreNoSpecialTokenIds(@TempDir Path tmp) throws IOException {
        Files.copy(dir.resolve("tokenizer.json"), tmp.resolve("tokenizer.json"));
        try (Tokenizer t = Tokenizer.load(tmp.resolve("tokenizer.json"))) { // the file itself works too
            assertTrue(t.bosId().isEmpty() && t.eosId().isEmpty() && t.padId().isEmpty());
            assertArrayEquals(new long[] {1, 23, 28}, t.encode("hello world")); // post-processor still adds <s>
            assertArrayEquals(new long[][] {{1, 23, 28}}, t.encodeBatch(List.of("hello world"), Padding.LEFT).ids());
            var e = assertThrows(IllegalStateException.class,
                    () -> t.encodeBatch(List.of("hello", "hello world"), Padding.LEFT));
            assertTrue(e.getMessage().contains("neither a pad_token nor an eos_token"), e.getMessage());
        }
    }

    // ------------------------------------------------------------ batches

    static final List<String> TEXTS = List.of("hello world", "the cab is here.", "hello");

    @Test
    void batchRightPadding() {
        Batch b = tok.encodeBatch(TEXTS, Padding.RIGHT);
        assertEquals(3, b.size());
        assertEquals(11, b.length());
        assertArrayEquals(new long[] {1, 23, 28, 0, 0, 0, 0, 0, 0, 0, 0}, b.ids()[0]);
        assertArrayEquals(new long[] {1, 15, 20, 34, 33, 32, 3, 20, 12, 8, 16}, b.ids()[1]);
        assertArrayEquals(new long[] {1, 23, 0, 0, 0, 0, 0, 0, 0, 0, 0}, b.ids()[2]);
        assertArrayEquals(new long[] {1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0}, b.attentionMask()[0]);
        assertArrayEquals(new long[] {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, b.attentionMask()[1]);
        assertArrayEquals(new long[] {1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0}, b.attentionMask()[2]);
        assertArrayEquals(new int[] {3, 11, 2}, b.lengths());
        assertArrayEquals(new long[] {0, 1, 2, 1, 1, 1, 1, 1, 1, 1, 1}, b.positionIds()[0]);
    }

    @Test
    void batchLeftPadding() {
        Batch b = tok.encodeBatch(TEXTS, Padding.LEFT);
        assertEquals(Padding.LEFT, b.side());
        assertArrayEquals(new long[] {0, 0, 0, 0, 0, 0, 0, 0, 1, 23, 28}, b.ids()[0]);
        assertArrayEquals(new long[] {1, 15, 20, 34, 33, 32, 3, 20, 12, 8, 16}, b.ids()[1]);
        assertArrayEquals(new long[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 23}, b.ids()[2]);
        assertArrayEquals(new long[] {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1}, b.attentionMask()[0]);
        assertArrayEquals(new long[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1}, b.attentionMask()[2]);
        // each row's first real token is position 0
        assertArrayEquals(new long[] {1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 2}, b.positionIds()[0]);
        assertArrayEquals(new long[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, b.positionIds()[1]);
    }

    @Test
    void batchTruncationKeepsTheStart() {
        Batch b = tok.encodeBatch(TEXTS, Tokenizer.BatchOptions.padding(Padding.RIGHT).maxLength(4).truncate(true));
        assertArrayEquals(new long[][] {{1, 23, 28, 0}, {1, 15, 20, 34}, {1, 23, 0, 0}}, b.ids());
        assertArrayEquals(new long[][] {{1, 1, 1, 0}, {1, 1, 1, 1}, {1, 1, 0, 0}}, b.attentionMask());
        Batch left = tok.encodeBatch(TEXTS, Tokenizer.BatchOptions.padding(Padding.LEFT).maxLength(4).truncate(true));
        assertArrayEquals(new long[][] {{0, 1, 23, 28}, {1, 15, 20, 34}, {0, 0, 1, 23}}, left.ids());
    }

    @Test
    void batchTooLongWithoutTruncationIsAnError() {
        var e = assertThrows(IllegalArgumentException.class, () -> tok.encodeBatch(TEXTS, Tokenizer.BatchOptions.padding(Padding.RIGHT).maxLength(4)));
        assertTrue(e.getMessage().contains("text 1 has 11 tokens"), e.getMessage());
    }

    @Test
    void batchPadToMaxLengthAndWithoutSpecialTokens() {
        Batch b = tok.encodeBatch(List.of("hello world", "hello"), Tokenizer.BatchOptions.padding(Padding.LEFT).maxLength(5).truncate(true).addSpecialTokens(false).padToMaxLength(true));
        assertArrayEquals(new long[][] {{0, 0, 0, 23, 28}, {0, 0, 0, 0, 23}}, b.ids());
        assertArrayEquals(new long[][] {{0, 0, 0, 1, 1}, {0, 0, 0, 0, 1}}, b.attentionMask());
        assertThrows(IllegalArgumentException.class,
                () -> tok.encodeBatch(TEXTS, Tokenizer.BatchOptions.padding(Padding.LEFT).truncate(true).padToMaxLength(true)));
    }

    @Test
    void batchToNDArrays() {
        Batch b = tok.encodeBatch(TEXTS, Padding.RIGHT);
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray ids = b.ids(m);
            NDArray mask = b.attentionMask(m);
            assertEquals(new Shape(3, 11), ids.getShape());
            assertEquals(DataType.INT64, ids.getDataType());
            assertEquals(DataType.INT64, mask.getDataType());
            long[] flat = ids.toLongArray();
            assertEquals(34, flat[11 + 3]);   // row 1, position 3
            assertEquals(0, flat[22 + 2]);    // row 2, position 2 is padding
            assertEquals(16L, mask.sum().getLong()); // 3 + 11 + 2 real tokens
        }
    }

    // ------------------------------------------------------------ bad input

    @Test
    void missingFolderOrFile(@TempDir Path tmp) {
        var e = assertThrows(TokenizerException.class, () -> Tokenizer.load(tmp.resolve("nope")));
        assertTrue(e.getMessage().contains("nope") && e.getMessage().contains("missing"), e.getMessage());
        e = assertThrows(TokenizerException.class, () -> Tokenizer.load(tmp));
        assertTrue(e.getMessage().contains("tokenizer.json") && e.getMessage().contains("no tokenizer.json"), e.getMessage());
        assertEquals(tmp.resolve("tokenizer.json"), e.file());
    }

    @Test
    void brokenJson(@TempDir Path tmp) throws IOException {
        Files.writeString(tmp.resolve("tokenizer.json"), "{\"version\": \"1.0\", \"model\": {\"type\": \"BPE\",\n \"vocab\": ");
        var e = assertThrows(TokenizerException.class, () -> Tokenizer.load(tmp));
        assertTrue(e.getMessage().contains(tmp.resolve("tokenizer.json").toString()), e.getMessage());
        assertTrue(e.getMessage().contains("not valid JSON") && e.getMessage().contains("line 2"), e.getMessage());
    }

    @Test
    void brokenConfigJson(@TempDir Path tmp) throws IOException {
        var e = assertThrows(TokenizerException.class, () -> withConfig(tmp, "{\"bos_token\": \"<s>\",}"));
        assertTrue(e.getMessage().contains("tokenizer_config.json") && e.getMessage().contains("not valid JSON"), e.getMessage());
    }

    @Test
    void configTokenNotInVocabularyOrOfWrongType(@TempDir Path tmp) throws IOException {
        var e = assertThrows(TokenizerException.class, () -> withConfig(tmp, "{\"eos_token\": \"<|endoftext|>\"}"));
        assertTrue(e.getMessage().contains("tokenizer_config.json") && e.getMessage().contains("eos_token \"<|endoftext|>\""),
                e.getMessage());
        e = assertThrows(TokenizerException.class, () -> withConfig(tmp, "{\"pad_token\": 7}"));
        assertTrue(e.getMessage().contains("pad_token must be a string"), e.getMessage());
        e = assertThrows(TokenizerException.class, () -> withConfig(tmp, "{\"add_bos_token\": \"yes\"}"));
        assertTrue(e.getMessage().contains("add_bos_token must be true or false"), e.getMessage());
    }

    @Test
    void jsonThatIsNotATokenizerIsRefusedByTheNativeLibrary(@TempDir Path tmp) throws IOException {
        Files.writeString(tmp.resolve("tokenizer.json"), "{\"hello\": 1}");
        var e = assertThrows(TokenizerException.class, () -> Tokenizer.load(tmp));
        assertTrue(e.getMessage().contains("tokenizers library refuses it"), e.getMessage());
        assertTrue(e.getMessage().contains(tmp.resolve("tokenizer.json").toString()), e.getMessage());
    }

    /**
     * The GPT-2 tokenizer.json of the shared data sets (an old serialization whose model has no
     * "type") is refused by the tokenizers version in DJL 0.35; the error must say so and the JVM
     * must go on working.
     */
    @Test
    void gpt2FileRefusedByNativeLibrary() {
        Path gpt2 = sharedDatasets().resolve("tokenizers/gpt2");
        assumeTrue(Files.isDirectory(gpt2), "shared data sets not found at " + gpt2
                + " (set TUNELAB_DATA to a mirror of ../shared/datasets); skipping");
        var e = assertThrows(TokenizerException.class, () -> Tokenizer.load(gpt2));
        assertEquals(gpt2.resolve("tokenizer.json"), e.file());
        assertTrue(e.getMessage().contains(gpt2.resolve("tokenizer.json").toString()), e.getMessage());
        assertTrue(e.getMessage().contains("data did not match any variant of untagged enum ModelUntagged"), e.getMessage());
        // still alive and usable
        assertArrayEquals(new long[] {1, 23, 28}, tok.encode("hello world"));
        try (Tokenizer again = Tokenizer.load(dir)) {
            assertEquals(42, again.vocabSize());
        }
    }

    // ------------------------------------------------------------ helpers

    private static Tokenizer withConfig(Path tmp, String configJson) throws IOException {
        Files.copy(dir.resolve("tokenizer.json"), tmp.resolve("tokenizer.json"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.writeString(tmp.resolve("tokenizer_config.json"), configJson);
        return Tokenizer.load(tmp);
    }

    /** TUNELAB_DATA, else ../shared/datasets next to the repository root. */
    static Path sharedDatasets() {
        String env = System.getenv("TUNELAB_DATA");
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        Path p = Path.of("").toAbsolutePath();
        // Surefire runs in the module folder (lib/); the repository root is the folder with lib/
        while (p != null && !(Files.isDirectory(p.resolve("lib")) && Files.isRegularFile(p.resolve("pom.xml")))) {
            p = p.getParent();
        }
        Path root = p == null ? Path.of("").toAbsolutePath().getParent() : p;
        return root.resolve("../shared/datasets").normalize();
    }
}
