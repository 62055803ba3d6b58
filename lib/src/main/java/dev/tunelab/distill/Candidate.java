package dev.tunelab.distill;

/**
 * What a teacher model wrote for one task: the prompt it was given and its continuation. The
 * whole text ({@link #text()}) is what a student is trained on; checks may look at either part,
 * since a property the prompt already has proves nothing about the continuation.
 */
public record Candidate(String prompt, String completion) {
    public String text() {
        return prompt + completion;
    }
}
