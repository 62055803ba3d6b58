package dev.tunelab.recipes.stories;

import dev.tunelab.distill.Check;
import dev.tunelab.distill.Checks;
import dev.tunelab.eval.SentimentJudge;
import dev.tunelab.recipes.stories.StoryWords.Child;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The instruction kinds of tunelab's story task set, each with hand-written instructions, the
 * openings the teacher continues, and the checks that make a continuation a correct answer:
 *
 * <ul>
 *   <li>{@code find}: "Write a story about Lily who finds a ball." The continuation names Lily and the ball again.
 *   <li>{@code place}: "Write a story about Tim at the park." The continuation names Tim and the park again.
 *   <li>{@code mood}: "Write a happy (sad) story about Mia and her cat." The continuation names both and the
 *       {@link SentimentJudge} scores it at least {@value #HAPPY_MIN} (at most {@value #SAD_MAX}).
 *   <li>{@code friends}: "Write a story about two friends, Ben and Sue, who talk to each other." The
 *       continuation names both and has at least two quoted utterances.
 * </ul>
 *
 * Every kind also asks for a story of {@value #MIN_WORDS}..{@value #MAX_WORDS} words that ends on a
 * finished sentence and does not repeat a sentence (a looping model does).
 */
public final class StoryTasks {
    public static final List<String> KINDS = List.of("find", "place", "mood", "friends");
    public static final int MIN_WORDS = 50;
    public static final int MAX_WORDS = 250;
    /** Sentences this long or longer must not repeat. */
    public static final int REPEAT_WORDS = 5;
    public static final double HAPPY_MIN = 4;
    public static final double SAD_MAX = -1;

    private final SentimentJudge judge;

    public StoryTasks(SentimentJudge judge) {
        this.judge = judge;
    }

    /** Two phrasings of each instruction; the opening the teacher continues for each kind. */
    private static final Map<String, List<String>> INSTRUCTIONS = Map.of(
            "find", List.of("Write a story about {name} who finds {a} {thing}.",
                    "Tell a short story in which {name} finds {a} {thing}."),
            "place", List.of("Write a story about {name} at the {place}.",
                    "Tell a story about a day {name} spent at the {place}."),
            "happy", List.of("Write a happy story about {name} and {his} {pet}.",
                    "Tell a cheerful story about {name} and {his} {pet}."),
            "sad", List.of("Write a sad story about {name} and {his} {pet}.",
                    "Tell a story in which {name} feels sad about {his} {pet}."),
            "friends", List.of("Write a story about two friends, {name} and {friend}, who talk to each other.",
                    "Tell a story with dialogue about {name} and {his} friend {friend}."));

    private static final Map<String, List<String>> OPENINGS = Map.of(
            "find", List.of("Once upon a time, there was a little {kid} named {name}. One day, {she} found {a} {thing}.",
                    "{name} was playing outside when {she} saw something on the ground. It was {a} {thing}."),
            "place", List.of("Once upon a time, there was a little {kid} named {name}. One day, {she} went to the {place} with {his} mom.",
                    "{name} loved the {place}. One sunny day, {she} went to the {place} to play."),
            "happy", List.of("Once upon a time, there was a little {kid} named {name}. {She} had a {pet}. One sunny day, they played in the garden.",
                    "{name} had a little {pet}. Every morning, {name} and the {pet} went outside to play."),
            "sad", List.of("Once upon a time, there was a little {kid} named {name}. {She} had a {pet}. One day, the {pet} ran away.",
                    "{name} had a little {pet}. One day, the {pet} got sick and could not play."),
            "friends", List.of("Once upon a time, there were two friends named {name} and {friend}. They liked to play together.",
                    "{name} and {friend} were best friends. One day, they met at the park."));

    /**
     * {@code perKind} tasks of each kind, in a fixed interleaved order; the seed picks the
     * combinations (child x thing, child x place, child x pet x mood, child x friend) and phrasings.
     */
    public List<StoryTask> sample(int perKind, long seed) {
        Random random = new Random(seed);
        List<List<StoryTask>> byKind = new ArrayList<>();
        for (String kind : KINDS) {
            List<Map<String, String>> combos = combinations(kind);
            if (perKind > combos.size()) {
                throw new IllegalArgumentException(kind + ": asked for " + perKind + " tasks, there are " + combos.size());
            }
            StoryOpenings.shuffle(combos, random);
            List<StoryTask> tasks = new ArrayList<>();
            for (Map<String, String> slots : combos.subList(0, perKind)) {
                tasks.add(task(kind, slots, random.nextInt(2), random.nextInt(2)));
            }
            byKind.add(tasks);
        }
        List<StoryTask> out = new ArrayList<>();
        for (int i = 0; i < perKind; i++) {
            for (List<StoryTask> tasks : byKind) out.add(tasks.get(i));
        }
        return out;
    }

    private static List<Map<String, String>> combinations(String kind) {
        List<Map<String, String>> out = new ArrayList<>();
        for (Child child : StoryWords.CHILDREN) {
            switch (kind) {
                case "find" -> StoryWords.THINGS.forEach(t -> out.add(slots("name", child.name(), "thing", t)));
                case "place" -> StoryWords.PLACES.forEach(p -> out.add(slots("name", child.name(), "place", p)));
                case "mood" -> StoryWords.PETS.forEach(p -> {
                    out.add(slots("name", child.name(), "pet", p, "mood", "happy"));
                    out.add(slots("name", child.name(), "pet", p, "mood", "sad"));
                });
                case "friends" -> StoryWords.CHILDREN.stream().filter(f -> f != child)
                        .forEach(f -> out.add(slots("name", child.name(), "friend", f.name())));
                default -> throw new IllegalArgumentException("unknown story task kind \"" + kind + "\"; known: " + KINDS);
            }
        }
        return out;
    }

    /** The slots in one order (name, thing, place, pet, mood, friend), so rows list their fields alike. */
    private static Map<String, String> ordered(Map<String, String> slots) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String key : List.of("name", "thing", "place", "pet", "mood", "friend")) {
            if (slots.containsKey(key)) m.put(key, slots.get(key));
        }
        slots.forEach(m::putIfAbsent);
        return m;
    }

    private static Map<String, String> slots(String... keyValues) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) m.put(keyValues[i], keyValues[i + 1]);
        return m;
    }

    /** The task of {@code kind} about {@code slots}, with instruction phrasing and opening number 0 or 1. */
    public StoryTask task(String kind, Map<String, String> slots, int phrasing, int opening) {
        slots = ordered(slots);
        String templates = kind.equals("mood") ? require(slots, "mood", kind) : kind;
        if (!INSTRUCTIONS.containsKey(templates)) {
            throw new IllegalArgumentException("unknown story task \"" + templates + "\"; known kinds: " + KINDS
                    + " (mood: happy or sad)");
        }
        return new StoryTask(kind, fill(INSTRUCTIONS.get(templates).get(phrasing), slots),
                fill(OPENINGS.get(templates).get(opening), slots), slots, checks(kind, slots));
    }

    /** The checks a continuation for {@code kind} about {@code slots} must pass. */
    public List<Check> checks(String kind, Map<String, String> slots) {
        List<Check> checks = new ArrayList<>(List.of(Checks.mentions(require(slots, "name", kind))));
        switch (kind) {
            case "find" -> checks.add(Checks.mentions(require(slots, "thing", kind)));
            case "place" -> checks.add(Checks.mentions(require(slots, "place", kind)));
            case "mood" -> {
                checks.add(Checks.mentions(require(slots, "pet", kind)));
                String mood = require(slots, "mood", kind);
                checks.add(switch (mood) {
                    case "happy" -> Checks.sentimentAtLeast(judge, HAPPY_MIN);
                    case "sad" -> Checks.sentimentAtMost(judge, SAD_MAX);
                    default -> throw new IllegalArgumentException("mood must be happy or sad, got \"" + mood + "\"");
                });
            }
            case "friends" -> {
                checks.add(Checks.mentions(require(slots, "friend", kind)));
                checks.add(Checks.dialogue(2));
            }
            default -> throw new IllegalArgumentException("unknown story task kind \"" + kind + "\"; known: " + KINDS);
        }
        checks.add(Checks.endsCleanly());
        checks.add(Checks.words(MIN_WORDS, MAX_WORDS));
        checks.add(Checks.noRepeatedSentence(REPEAT_WORDS));
        return checks;
    }

    private static String require(Map<String, String> slots, String key, String kind) {
        String v = slots.get(key);
        if (v == null || v.isBlank()) {
            throw new IllegalArgumentException("a \"" + kind + "\" task needs the field \"" + key + "\", got " + slots.keySet());
        }
        return v;
    }

    private static String fill(String template, Map<String, String> slots) {
        Child child = StoryWords.CHILDREN.stream().filter(c -> c.name().equals(slots.get("name"))).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown child \"" + slots.get("name") + "\"; known: "
                        + StoryWords.CHILDREN.stream().map(Child::name).toList()));
        String s = template;
        for (var e : slots.entrySet()) s = s.replace("{" + e.getKey() + "}", e.getValue());
        if (slots.containsKey("thing")) s = s.replace("{a}", StoryWords.article(slots.get("thing")));
        return child.fill(s);
    }
}
