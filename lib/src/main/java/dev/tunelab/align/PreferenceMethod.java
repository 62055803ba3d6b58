package dev.tunelab.align;

/** The objectives {@link PreferenceTrainer} optimises: DPO and IPO ({@link DpoLoss}), {@link OrpoLoss}, {@link KtoLoss}. */
public sealed interface PreferenceMethod permits DpoLoss, OrpoLoss, KtoLoss {
    /** A short name for run records and tables: "dpo", "ipo", "orpo", "kto". */
    String label();

    /** Whether the loss compares with a reference model (all but ORPO). */
    default boolean needsReference() {
        return true;
    }
}
