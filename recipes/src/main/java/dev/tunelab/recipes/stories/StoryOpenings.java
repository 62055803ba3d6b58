package dev.tunelab.recipes.stories;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tunelab.recipes.stories.StoryWords.Child;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Story openings for preference and RL experiments: the prompts a policy continues and a judge
 * scores. Hand-written templates x children x settings; a seed picks which combinations, so the
 * same seed gives the same file byte for byte.
 *
 * <pre>{@code
 * List<StoryOpenings.Opening> prompts = StoryOpenings.sample(320, 7);
 * }</pre>
 */
public final class StoryOpenings {
    /** The openings, each ending on a full sentence so the model starts a new one. */
    public static final List<String> TEMPLATES = List.of(
            "Once upon a time, there was a little {kid} named {name}. {She} lived {setting}.",
            "Once upon a time, a {kid} named {name} lived {setting}. Every day, {she} liked to play outside.",
            "{name} was a little {kid} who lived {setting}. One morning, {she} woke up early.",
            "One day, {name} went for a walk. {name} lived {setting}.",
            "There was once a {kid} called {name}. {name} lived {setting} with {his} mom and dad.",
            "Once upon a time, {name} lived {setting}. {She} had a best friend who was very small.",
            "{name} lived {setting}. One day, {his} mom said, \"Today is a special day.\"",
            "It was a rainy day. {name} lived {setting} and wanted to go outside.",
            "Once upon a time, there was a {kid} named {name}. {name} lived {setting} and loved to explore.",
            "One sunny morning, {name} looked out of the window. {She} lived {setting}.",
            "{name} and {his} dad lived {setting}. One day, they heard a strange noise.",
            "Once upon a time, a little {kid} named {name} lived {setting}. {She} was bored.");

    private static final ObjectMapper JSON = new ObjectMapper();

    private StoryOpenings() {}

    /** One opening with what it was made of. */
    public record Opening(String prompt, String name, String setting, int template) {
        /** One JSON object: {@code prompt}, {@code name}, {@code setting}, {@code template} (its index). */
        public String toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("prompt", prompt);
            m.put("name", name);
            m.put("setting", setting);
            m.put("template", template);
            try {
                return JSON.writeValueAsString(m);
            } catch (JsonProcessingException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** {@code count} distinct openings, chosen by {@code seed} from every template x child x setting. */
    public static List<Opening> sample(int count, long seed) {
        List<Opening> all = new ArrayList<>();
        for (int t = 0; t < TEMPLATES.size(); t++) {
            for (Child child : StoryWords.CHILDREN) {
                for (String setting : StoryWords.SETTINGS) {
                    all.add(new Opening(child.fill(TEMPLATES.get(t).replace("{setting}", setting)), child.name(), setting, t));
                }
            }
        }
        if (count > all.size()) {
            throw new IllegalArgumentException("asked for " + count + " openings, there are " + all.size() + " combinations");
        }
        shuffle(all, new Random(seed));
        return List.copyOf(all.subList(0, count));
    }

    /** Fisher-Yates with java.util.Random, whose sequence its specification fixes: the same order on any JVM. */
    static <T> void shuffle(List<T> list, Random random) {
        for (int i = list.size() - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            T tmp = list.get(i);
            list.set(i, list.get(j));
            list.set(j, tmp);
        }
    }

    /** The openings as JSON Lines text, one object a line, each line ending in a newline. */
    public static String jsonl(List<Opening> openings) {
        StringBuilder sb = new StringBuilder();
        for (Opening o : openings) sb.append(o.toJson()).append('\n');
        return sb.toString();
    }
}
