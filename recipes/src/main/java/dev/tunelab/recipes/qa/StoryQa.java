package dev.tunelab.recipes.qa;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tunelab.eval.UnsupportedNames;
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
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The TinyStories question-answering set: short questions whose answer is a span of a passage.
 * Passages are the paragraphs of the held-out TinyStories slice ({@code
 * tinystories/tinystories_validation_head.txt} of the mirror) of 25 to 110 words, plain ASCII.
 * Four rules read a question off a sentence of the passage, each with a stem a story model can
 * continue (a base model follows no instructions, so "Lily found" asks "What did Lily find?"):
 * <ul>
 *   <li>{@code name}: "... a little girl named Lily ..." asks "What was the name of the girl?",
 *       stem "The girl's name was", answer "Lily" (the noun is the word before "named"; skipped
 *       when the passage names two of that noun);
 *   <li>{@code find}: "Lily found a shiny red ball in ..." asks "What did Lily find?", stem
 *       "Lily found", answer "a shiny red ball" (an article and up to four words, up to
 *       punctuation or a word of {@link #PHRASE_ENDS});
 *   <li>{@code place}: "Tom went to the park ..." asks "Where did Tom go?", stem "Tom went to",
 *       answer "the park" (as for {@code find});
 *   <li>{@code love}: "Roxy loved to climb trees." asks "What did Roxy love to do?", stem "Roxy
 *       loved to", answer "climb trees" (up to four words, as for {@code find});
 *   <li>{@code see}: "Max saw a big dog." asks "What did Max see?", stem "Max saw", answer "a
 *       big dog" (as for {@code find}).
 * </ul>
 * The person in a rule is a capitalised word that is not a sentence opener ({@link
 * UnsupportedNames#NOT_NAMES}), and a rule fires only on the first such sentence of a passage
 * for that person. Every answer is a span of its passage ({@code answer_start} is its offset).
 * The passages are shuffled with the seed; each gives at most one question. The kinds take turns:
 * each turn a kind takes the next unused passage in that order that gives a question of its kind,
 * so the kinds come out even until a kind runs out of passages, until {@code count} questions are
 * made. Lines are {@code {"id", "kind", "passage", "question", "stem",
 * "answers", "answer_start"}}; MANIFEST.json records the source's sha256, seed, counts per kind
 * and the output's sha256.
 *
 * <pre>TUNELAB_DATA=../shared/datasets bin/make-qa-data [--count 150] [--seed 20261206] [--out datasets/qa]</pre>
 */
public final class StoryQa {
    public static final String SOURCE = "tinystories/tinystories_validation_head.txt";
    public static final String FILE = "tinystories-qa.jsonl";
    public static final List<String> KINDS = List.of("name", "find", "place", "love", "see");
    /** Words that end a noun or verb phrase answer: prepositions, conjunctions, pronouns. */
    public static final List<String> PHRASE_ENDS = List.of("in", "on", "under", "near", "at", "by", "with", "and", "that",
            "while", "when", "behind", "inside", "outside", "to", "from", "for", "but", "so", "he", "she", "it", "they",
            "all", "every", "because", "then", "there", "one", "again", "too");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PERSON = "\\b([A-Z][a-z]+)";
    private static final String PHRASE = "((?:[a-z]+ ){0,3}?[a-z]+)(?=[.,!?;:\"]| (?:" + String.join("|", PHRASE_ENDS) + ")\\b)";
    private static final Pattern NAME = Pattern.compile("\\b(?:a|an) (?:[a-z]+ ){0,2}?([a-z]+) named ([A-Z][a-z]+)\\b");
    private static final Pattern FIND = Pattern.compile(PERSON + " found ((?:a|an|the|some) " + PHRASE + ")");
    private static final Pattern PLACE = Pattern.compile(PERSON + " went to (the " + PHRASE + ")");
    private static final Pattern LOVE = Pattern.compile(PERSON + " loved to " + PHRASE);
    private static final Pattern COMMA_LIST = Pattern.compile(", [a-z]");
    private static final Pattern SEE = Pattern.compile(PERSON + " saw ((?:a|an|the) " + PHRASE + ")");

    /** One question: what the set's line holds. */
    record Question(String kind, String passage, String question, String stem, String answer, int answerStart) {}

    private StoryQa() {}

    public static void main(String[] args) throws IOException {
        GeneratorArgs a = GeneratorArgs.parse("bin/make-qa-data", args, Path.of("datasets", "qa"), 150, SOURCE);
        Path data = a.data(), out = a.out();
        long seed = a.seed();
        int count = a.count();
        Path source = data.resolve(SOURCE);
        List<String> passages = passages(Files.readString(source, StandardCharsets.UTF_8));
        List<Question> questions = questions(passages, count, seed);
        Files.createDirectories(out);
        StringBuilder jsonl = new StringBuilder();
        Map<String, Integer> perKind = new LinkedHashMap<>();
        KINDS.forEach(k -> perKind.put(k, 0));
        for (int i = 0; i < questions.size(); i++) {
            Question q = questions.get(i);
            perKind.merge(q.kind(), 1, Integer::sum);
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("id", "qa-" + i);
            row.put("kind", q.kind());
            row.put("passage", q.passage());
            row.put("question", q.question());
            row.put("stem", q.stem());
            row.put("answers", List.of(q.answer()));
            row.put("answer_start", q.answerStart());
            jsonl.append(JSON.writeValueAsString(row)).append('\n');
        }
        Path file = out.resolve(FILE);
        AtomicFiles.writeString(file, jsonl.toString());
        ObjectNode m = JSON.createObjectNode();
        m.put("generator", StoryQa.class.getName());
        m.put("command", "bin/make-qa-data --count " + count + " --seed " + seed);
        m.put("source", SOURCE);
        m.put("source_sha256", sha256(source));
        m.put("passages_eligible", passages.size());
        m.put("seed", seed);
        ObjectNode kinds = m.putObject("kinds");
        perKind.forEach(kinds::put);
        m.putObject("files").putObject(FILE).put("rows", questions.size()).put("sha256", sha256(file));
        AtomicFiles.writeString(out.resolve("MANIFEST.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(m) + "\n");
        System.out.println("wrote " + questions.size() + " questions " + perKind + " from " + passages.size()
                + " eligible passages to " + file);
    }

    /** The eligible passages of the text (blank-line separated paragraphs of 25 to 110 words, ASCII), in order. */
    static List<String> passages(String text) {
        List<String> out = new ArrayList<>();
        for (String block : text.split("\\n\\s*\\n")) {
            String p = block.strip().replaceAll("\\s+", " ");
            int words = p.isEmpty() ? 0 : p.split(" ").length;
            if (words >= 25 && words <= 110 && p.chars().allMatch(c -> c >= 32 && c < 127)) {
                out.add(p);
            }
        }
        return out;
    }

    /** The question of {@code kind} the passage gives, or null. */
    static Question question(String passage, String kind) {
        switch (kind) {
            case "name" -> {
                Matcher m = NAME.matcher(passage);
                if (!m.find()) {
                    return null;
                }
                String noun = m.group(1);
                Matcher again = NAME.matcher(passage);
                int same = 0;
                while (again.find()) {
                    same += again.group(1).equals(noun) ? 1 : 0;
                }
                return same != 1 ? null : new Question(kind, passage, "What was the name of the " + noun + "?",
                        "The " + noun + "'s name was", m.group(2), m.start(2));
            }
            case "find" -> {
                Matcher m = person(FIND.matcher(passage), passage);
                return m == null ? null : new Question(kind, passage, "What did " + m.group(1) + " find?",
                        m.group(1) + " found", m.group(2), m.start(2));
            }
            case "place" -> {
                Matcher m = person(PLACE.matcher(passage), passage);
                return m == null ? null : new Question(kind, passage, "Where did " + m.group(1) + " go?",
                        m.group(1) + " went to", m.group(2), m.start(2));
            }
            case "love" -> {
                Matcher m = person(LOVE.matcher(passage), passage);
                return m == null ? null : new Question(kind, passage, "What did " + m.group(1) + " love to do?",
                        m.group(1) + " loved to", m.group(2), m.start(2));
            }
            case "see" -> {
                Matcher m = person(SEE.matcher(passage), passage);
                return m == null ? null : new Question(kind, passage, "What did " + m.group(1) + " see?",
                        m.group(1) + " saw", m.group(2), m.start(2));
            }
            default -> throw new IllegalArgumentException("unknown kind " + kind + "; kinds are " + KINDS);
        }
    }

    /**
     * The first match whose person is a name, not a sentence opener ("She found ..."), and whose
     * answer is not cut inside a list of adjectives ("a dull, round rock" would give "a dull"), or null.
     */
    private static Matcher person(Matcher m, String passage) {
        while (m.find()) {
            boolean cutInList = COMMA_LIST.matcher(passage).region(m.end(), passage.length()).lookingAt();
            if (!UnsupportedNames.NOT_NAMES.contains(m.group(1)) && !cutInList) {
                return m;
            }
        }
        return null;
    }

    /** {@code count} questions, one per passage, from passages in seeded order, the kinds taking turns. */
    static List<Question> questions(List<String> passages, int count, long seed) {
        List<String> order = new ArrayList<>(passages);
        Collections.shuffle(order, new Random(seed));
        boolean[] used = new boolean[order.size()];
        int[] cursor = new int[KINDS.size()]; // where each kind's search goes on
        List<Question> out = new ArrayList<>();
        boolean progress = true;
        while (out.size() < count && progress) {
            progress = false;
            for (int k = 0; k < KINDS.size() && out.size() < count; k++) {
                for (; cursor[k] < order.size(); cursor[k]++) {
                    Question q = used[cursor[k]] ? null : question(order.get(cursor[k]), KINDS.get(k));
                    if (q != null) {
                        used[cursor[k]] = true;
                        out.add(q);
                        progress = true;
                        break;
                    }
                }
            }
        }
        if (out.size() < count) {
            throw new IllegalArgumentException("only " + out.size() + " questions from " + passages.size()
                    + " passages, asked for " + count);
        }
        return out;
    }

    static String sha256(Path file) throws IOException {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
