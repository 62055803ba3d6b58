package dev.tunelab.distill;

import java.util.Objects;
import java.util.function.Predicate;

/**
 * One verifiable property a teacher's output must have to be kept: "mentions 'ball'", "ends
 * with a full sentence". {@code kind} names the property and is what rejection counts group by;
 * {@code detail} says what this instance asks for. Ready-made checks are in {@link Checks}.
 */
public record Check(String kind, String detail, Predicate<Candidate> test) {
    public Check {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(detail, "detail");
        Objects.requireNonNull(test, "test");
    }

    public boolean passes(Candidate candidate) {
        return test.test(candidate);
    }

    @Override
    public String toString() {
        return detail.isEmpty() ? kind : kind + "(" + detail + ")";
    }
}
