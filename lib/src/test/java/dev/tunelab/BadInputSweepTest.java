package dev.tunelab;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tunelab.io.Tokenizer;
import dev.tunelab.io.TokenizerException;
import dev.tunelab.model.LlamaConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every field of the shipped model's config.json removed or replaced by a value of each wrong
 * kind, and tokenizer.json cut short, emptied of its parts or corrupted: each either still makes
 * sense and loads, or fails with the parser's own exception naming the file and the field or
 * problem, in bounded time; never another exception or a crash. Counts go to BENCHMARKS.md.
 */
class BadInputSweepTest {
    static final Path MODEL = Path.of("..", "datasets", "models", "tinystories-base");
    static final ObjectMapper JSON = new ObjectMapper();
    /** Wrong values of every JSON kind, and numbers out of range. */
    static final List<String> WRONG = List.of("\"text\"", "-1", "0", "1.5", "null", "[]", "{}", "1e30", "true", "-1e-5");

    @Test
    void configJsonFieldsMissingOrMistyped(@TempDir Path tmp) throws IOException {
        ObjectNode good = (ObjectNode) JSON.readTree(MODEL.resolve("config.json").toFile());
        List<String> fields = new ArrayList<>();
        good.fieldNames().forEachRemaining(fields::add);
        Path file = tmp.resolve("config.json");
        int tried = 0;
        int refused = 0;
        List<String> accepted = new ArrayList<>();
        for (String field : fields) {
            List<String> variants = new ArrayList<>(WRONG);
            variants.add(null); // the field removed
            for (String value : variants) {
                ObjectNode bad = good.deepCopy();
                if (value == null) {
                    bad.remove(field);
                } else {
                    bad.set(field, JSON.readTree(value));
                }
                Files.writeString(file, bad.toString());
                tried++;
                String outcome = assertTimeoutPreemptively(Duration.ofSeconds(5), () -> {
                    try {
                        LlamaConfig.load(file);
                        return null;
                    } catch (IOException e) {
                        return e.getMessage();
                    }
                });
                String what = field + (value == null ? " removed" : " = " + value);
                if (outcome == null) {
                    accepted.add(what);
                } else {
                    refused++;
                    assertTrue(outcome.startsWith(file.toString()), what + ": " + outcome);
                    assertTrue(outcome.contains("'" + field) || outcome.contains("not valid JSON"), what + ": " + outcome);
                }
            }
        }
        System.out.printf("config.json: %d bad inputs, %d refused naming the field, %d accepted: %s%n", tried, refused,
                accepted.size(), accepted);
        // Optional fields (null or removed: transformers' default applies) and fields unused here may take
        // any value; the sizes the model is built from take no wrong value, eps and theta no non-positive one.
        List<String> sizes = List.of("vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers",
                "num_attention_heads", "num_key_value_heads", "head_dim", "max_position_embeddings");
        for (String a : accepted) {
            for (String size : sizes) {
                assertFalse(a.startsWith(size + " = ") && !a.equals(size + " = null"), "accepted a wrong value: " + a);
            }
            assertFalse(a.matches("(rms_norm_eps|rope_theta) = (-1|0|-1e-5|\"text\"|\\[]|\\{}|true)"), "accepted " + a);
        }
    }

    @Test
    void tokenizerJsonCutCorruptedOrIncomplete(@TempDir Path tmp) throws IOException {
        byte[] good = Files.readAllBytes(MODEL.resolve("tokenizer.json"));
        ObjectNode tree = (ObjectNode) JSON.readTree(good);
        List<byte[]> inputs = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            inputs.add(Arrays.copyOf(good, good.length * i / 20)); // cut short at 0%, 5%, ... 95%
        }
        inputs.add("[".repeat(100_000).getBytes(StandardCharsets.US_ASCII)); // nesting deep enough to overflow a recursive parser
        inputs.add(new byte[] {(byte) 0xC3, (byte) 0x28, '{', '}'}); // invalid UTF-8
        inputs.add("null".getBytes(StandardCharsets.US_ASCII));
        List<Function<ObjectNode, JsonNode>> edits = List.of(
                t -> t.deepCopy().without("model"),
                t -> withModel(t, m -> m.remove("vocab")),
                t -> withModel(t, m -> m.put("vocab", "not a map")),
                t -> withModel(t, m -> m.put("merges", 42)),
                t -> withModel(t, m -> m.putArray("merges").add("no-space-in-this-merge")),
                t -> withModel(t, m -> m.put("type", "Unigram")),
                t -> withModel(t, m -> ((ObjectNode) m.get("vocab")).put("Ġthe", -7)),
                t -> withModel(t, m -> ((ObjectNode) m.get("vocab")).put("Ġthe", 1e12)),
                t -> t.deepCopy().put("added_tokens", "none"),
                t -> t.deepCopy().put("pre_tokenizer", 5));
        for (var edit : edits) {
            inputs.add(edit.apply(tree).toString().getBytes(StandardCharsets.UTF_8));
        }
        Path dir = tmp.resolve("tok");
        Files.createDirectories(dir);
        int refused = 0;
        for (byte[] input : inputs) {
            Files.write(dir.resolve("tokenizer.json"), input);
            String outcome = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
                try (Tokenizer t = Tokenizer.load(dir)) {
                    t.decode(t.encode("Once upon a time"));
                    return null;
                } catch (TokenizerException e) {
                    return e.getMessage();
                }
            });
            if (outcome != null) {
                refused++;
                assertTrue(outcome.contains(dir.resolve("tokenizer.json").toString()), outcome);
            }
        }
        System.out.printf("tokenizer.json: %d bad inputs, %d refused naming the file%n", inputs.size(), refused);
        assertTrue(refused >= inputs.size() - 2, "most of these cannot be a working tokenizer: " + refused + " of " + inputs.size());
    }

    static JsonNode withModel(ObjectNode tree, java.util.function.Consumer<ObjectNode> change) {
        ObjectNode copy = tree.deepCopy();
        change.accept((ObjectNode) copy.get("model"));
        return copy;
    }
}
