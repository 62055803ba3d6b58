package dev.tunelab.align;

/**
 * The coefficient beta of the KL penalty -beta * KL(policy || reference) in the RLHF reward.
 * Fixed, or adaptive as in Ziegler et al. 2019 ("Fine-Tuning Language Models from Human
 * Preferences", section 2.2; lm-human-preferences' AdaptiveKLController, also TRL's): after each
 * batch, e = clip(KL / target - 1, -0.2, 0.2) and beta *= 1 + e * n / horizon, where n is the
 * number of episodes in the batch.
 */
public abstract sealed class KlController permits KlController.Fixed, KlController.Adaptive {
    protected double value;

    private KlController(double initial) {
        if (!(initial >= 0)) {
            throw new IllegalArgumentException("the KL coefficient must be >= 0, got " + initial);
        }
        this.value = initial;
    }

    public static KlController fixed(double beta) {
        return new Fixed(beta);
    }

    /**
     * @param initial starting beta (Ziegler et al.: 0.1; TRL's init_kl_coef 0.2)
     * @param target the KL (nats per completion) to steer towards (TRL's target 6)
     * @param horizon episodes over which the error is corrected (Ziegler et al. and TRL: 10000)
     */
    public static KlController adaptive(double initial, double target, double horizon) {
        return new Adaptive(initial, target, horizon);
    }

    /** The current beta. */
    public double value() {
        return value;
    }

    /** Sets beta as a checkpoint recorded it (a resumed run goes on from where the controller was). */
    public void restore(double beta) {
        value = beta;
    }

    /** Takes the mean KL of the last batch of {@code episodes} completions. */
    public abstract void update(double currentKl, int episodes);

    public static final class Fixed extends KlController {
        private Fixed(double beta) {
            super(beta);
        }

        @Override
        public void update(double currentKl, int episodes) {}

        @Override
        public String toString() {
            return "fixed KL coefficient " + value;
        }
    }

    public static final class Adaptive extends KlController {
        // Ziegler et al. 2019: the proportional error is clipped to +-20%.
        static final double MAX_ERROR = 0.2;
        private final double target;
        private final double horizon;

        private Adaptive(double initial, double target, double horizon) {
            super(initial);
            if (!(target > 0) || !(horizon > 0)) {
                throw new IllegalArgumentException("adaptive KL needs target > 0 and horizon > 0, got target " + target
                        + ", horizon " + horizon);
            }
            this.target = target;
            this.horizon = horizon;
        }

        public double target() {
            return target;
        }

        @Override
        public void update(double currentKl, int episodes) {
            double error = Math.max(-MAX_ERROR, Math.min(MAX_ERROR, currentKl / target - 1));
            value *= 1 + error * episodes / horizon;
        }

        @Override
        public String toString() {
            return "adaptive KL coefficient " + value + " (target " + target + ", horizon " + horizon + ")";
        }
    }
}
