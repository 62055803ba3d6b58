package dev.tunelab.distill;

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

    public static final List<Child> CHILDREN = List.of(
            new Child("Lily", true), new Child("Tim", false), new Child("Mia", true),
            new Child("Ben", false), new Child("Sue", true), new Child("Max", false),
            new Child("Anna", true), new Child("Tom", false), new Child("Lucy", true),
            new Child("Sam", false), new Child("Amy", true), new Child("Jack", false),
            new Child("Sara", true), new Child("Leo", false), new Child("Emma", true),
            new Child("Bob", false), new Child("Zoe", true), new Child("Joe", false),
            new Child("Kate", true), new Child("Timmy", false));

    /** Things a child finds: single nouns (and one two-word noun) the checks look for word for word. */
    public static final List<String> THINGS = List.of(
            "ball", "box", "key", "shell", "rock", "kite", "hat", "book", "doll", "map", "coin", "feather",
            "flower", "stick", "leaf", "ring", "cup", "bell", "toy car", "teddy bear", "balloon", "stone",
            "sock", "basket");

    public static final List<String> PLACES = List.of(
            "park", "beach", "forest", "garden", "zoo", "farm", "school", "lake", "store", "playground",
            "library", "river", "hill", "pond");

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
