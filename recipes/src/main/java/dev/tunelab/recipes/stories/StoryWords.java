package dev.tunelab.recipes.stories;

import java.util.List;

/**
 * The hand-written words tunelab's story tasks are built from: names a small TinyStories model
 * knows well, and things, places, pets and settings from the world of its stories. Every list is
 * in a fixed order, so a seed picks the same combinations everywhere.
 */
public final class StoryWords {
    private StoryWords() {}

    /** A story's main character, with the pronouns the templates need. */
    public record Child(String name, boolean girl) {
        public String kid() {
            return girl ? "girl" : "boy";
        }

        /** she / he */
        public String subject() {
            return girl ? "she" : "he";
        }

        /** her / him */
        public String object() {
            return girl ? "her" : "him";
        }

        /** her / his */
        public String possessive() {
            return girl ? "her" : "his";
        }

        /** The placeholders {name} {kid} {she} {her} {his} ({She}, {Her}, {His} capitalized) filled in. */
        public String fill(String template) {
            return template.replace("{name}", name).replace("{kid}", kid())
                    .replace("{She}", capitalize(subject())).replace("{she}", subject())
                    .replace("{Her}", capitalize(object())).replace("{her}", object())
                    .replace("{His}", capitalize(possessive())).replace("{his}", possessive());
        }
    }

    /** The 20 names the TinyStories training text uses most (counted in the mirror's two train files), 10 girls and 10 boys. */
    public static final List<Child> CHILDREN = List.of(
            new Child("Lily", true), new Child("Tim", false), new Child("Tom", false), new Child("Ben", false),
            new Child("Max", false), new Child("Sam", false), new Child("Sue", true), new Child("Mia", true),
            new Child("Timmy", false), new Child("Anna", true), new Child("Lucy", true), new Child("Sara", true),
            new Child("Jack", false), new Child("Bob", false), new Child("Jane", true), new Child("Joe", false),
            new Child("Sarah", true), new Child("Molly", true), new Child("Amy", true), new Child("Billy", false));

    /**
     * Things a child finds: one-word nouns, each used at least 50 times in the training text, so the
     * model knows them and a check can look for them word for word.
     */
    public static final List<String> THINGS = List.of(
            "ball", "box", "rock", "kite", "hat", "book", "doll", "flower", "stick", "balloon", "stone", "basket",
            "key", "leaf", "boat", "cake", "truck", "apple", "bucket", "blanket", "cup", "bell", "map", "coin");

    public static final List<String> PLACES = List.of(
            "park", "beach", "forest", "garden", "farm", "school", "lake", "store", "river", "hill", "pond", "woods",
            "yard", "sea");

    public static final List<String> PETS = List.of("dog", "cat", "puppy", "kitten", "bird", "bunny", "fish", "frog");

    /** Where a story opening is set: phrases that follow "lived" or "played". */
    public static final List<String> SETTINGS = List.of(
            "in a small house by the sea", "near a big green forest", "on a farm with many animals",
            "in a busy town", "in a tall house with a red door", "next to a quiet lake", "at the top of a hill",
            "in a village with a little school", "near a park with a big slide", "in a house with a sunny garden",
            "by a river full of fish", "in a cozy house in the woods", "near the zoo", "in a town by the beach",
            "on a street with many trees", "in a little blue house");

    /** "a" or "an" before {@code noun}. */
    public static String article(String noun) {
        return "aeiou".indexOf(Character.toLowerCase(noun.charAt(0))) >= 0 ? "an" : "a";
    }

    static String capitalize(String s) {
        return s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }
}
