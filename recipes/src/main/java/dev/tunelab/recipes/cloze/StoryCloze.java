package dev.tunelab.recipes.cloze;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tunelab.io.AtomicFiles;
import dev.tunelab.recipes.stories.GeneratorArgs;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Pattern;

/**
 * The TinyStories cloze benchmark: "which sentence ends this paragraph?". From the held-out
 * TinyStories slice (rows of the validation split, {@code tinystories/tinystories_validation_head.txt}
 * of the mirror), paragraphs of 3 to 8 sentences, each sentence 4 to 25 words, plain ASCII, give
 * one question each: the context is every sentence but the last, the right choice is the last,
 * and three wrong choices are the last sentences of other paragraphs drawn with the seed; the four
 * are shuffled with the seed. Lines are {@code {"context", "choices", "gold"}}, the shape
 * {@code MultipleChoice.load} reads; MANIFEST.json records the source's sha256, the seed and the
 * output's sha256.
 *
 * <pre>TUNELAB_DATA=../shared/datasets bin/make-cloze-data [--count 200] [--seed 20261206] [--out datasets/cloze]</pre>
 */
public final class StoryCloze {
    public static final String SOURCE = "tinystories/tinystories_validation_head.txt";
    public static final String FILE = "tinystories-cloze.jsonl";
    static final Pattern SENTENCE_END = Pattern.compile("(?<=[.!?][\"']?)\\s+(?=[A-Z\"'])");
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One question before shuffling: the context sentences and the true last sentence. */
    record Paragraph(String context, String ending) {}

    private StoryCloze() {}

    public static void main(String[] args) throws IOException {
        GeneratorArgs a = GeneratorArgs.parse("bin/make-cloze-data", args, Path.of("datasets", "cloze"), 200, SOURCE);
        Path data = a.data(), out = a.out();
        long seed = a.seed();
        int count = a.count();
        Path source = data.resolve(SOURCE);
        List<Paragraph> paragraphs = paragraphs(Files.readString(source, StandardCharsets.UTF_8));
        List<Map<String, Object>> rows = questions(paragraphs, count, seed);
        Files.createDirectories(out);
        StringBuilder jsonl = new StringBuilder();
        for (Map<String, Object> r : rows) {
            jsonl.append(JSON.writeValueAsString(r)).append('\n');
        }
        Path file = out.resolve(FILE);
        AtomicFiles.writeString(file, jsonl.toString());
        ObjectNode m = JSON.createObjectNode();
        m.put("generator", StoryCloze.class.getName());
        m.put("command", "bin/make-cloze-data --count " + count + " --seed " + seed);
        m.put("source", SOURCE);
        m.put("source_sha256", sha256(source));
        m.put("paragraphs_eligible", paragraphs.size());
        m.put("seed", seed);
        m.put("choices", 4);
        m.putObject("files").putObject(FILE).put("rows", rows.size()).put("sha256", sha256(file));
        AtomicFiles.writeString(out.resolve("MANIFEST.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(m) + "\n");
        System.out.println("wrote " + rows.size() + " questions from " + paragraphs.size() + " eligible paragraphs to " + file);
    }

    /** The eligible paragraphs of the text (blank-line separated), in order. */
    static List<Paragraph> paragraphs(String text) {
        List<Paragraph> out = new ArrayList<>();
        for (String block : text.split("\\n\\s*\\n")) {
            String p = block.strip().replaceAll("\\s+", " ");
            if (p.isEmpty() || !p.chars().allMatch(c -> c >= 32 && c < 127)) {
                continue;
            }
            String[] sentences = SENTENCE_END.split(p);
            if (sentences.length < 3 || sentences.length > 8) {
                continue;
            }
            boolean ok = true;
            for (String s : sentences) {
                int words = s.split(" ").length;
                ok &= words >= 4 && words <= 25;
            }
            if (ok) {
                String ending = sentences[sentences.length - 1];
                out.add(new Paragraph(p.substring(0, p.length() - ending.length()).strip(), ending));
            }
        }
        return out;
    }

    /** {@code count} questions from paragraphs drawn without replacement, three distractor endings each. */
    static List<Map<String, Object>> questions(List<Paragraph> paragraphs, int count, long seed) {
        if (paragraphs.size() < Math.max(count, 4)) {
            throw new IllegalArgumentException("only " + paragraphs.size() + " eligible paragraphs for " + count + " questions");
        }
        Random random = new Random(seed);
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < paragraphs.size(); i++) {
            order.add(i);
        }
        Collections.shuffle(order, random);
        List<Map<String, Object>> rows = new ArrayList<>();
        for (int q = 0; q < count; q++) {
            Paragraph p = paragraphs.get(order.get(q));
            List<String> choices = new ArrayList<>(List.of(p.ending()));
            while (choices.size() < 4) {
                String other = paragraphs.get(random.nextInt(paragraphs.size())).ending();
                if (!choices.contains(other)) {
                    choices.add(other);
                }
            }
            Collections.shuffle(choices, random);
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("context", p.context());
            row.put("choices", choices);
            row.put("gold", choices.indexOf(p.ending()));
            rows.add(row);
        }
        return rows;
    }

    static String sha256(Path file) throws IOException {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
