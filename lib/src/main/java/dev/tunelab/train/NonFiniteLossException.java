package dev.tunelab.train;

/** Training stopped because the loss, the gradient norm or a weight stopped being a finite number. */
public final class NonFiniteLossException extends RuntimeException {
    private final int step;

    public NonFiniteLossException(int step, String what, double value) {
        this(step, what, value, java.util.List.of());
    }

    public NonFiniteLossException(int step, String what, double value, java.util.List<String> parameters) {
        super(what + " is " + value + " at step " + step
                + (parameters.isEmpty() ? "" : " (non-finite values in " + String.join(", ", parameters) + ")")
                + ": training stopped. Lower the learning rate, clip gradients, or check the data of this step.");
        this.step = step;
    }

    public int step() {
        return step;
    }
}
