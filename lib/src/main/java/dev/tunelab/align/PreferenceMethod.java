package dev.tunelab.align;

/**
 * The objectives {@link PreferenceTrainer} optimises: DPO and IPO ({@link DpoLoss}), {@link OrpoLoss},
 * {@link KtoLoss}, and the reference-free {@link SimpoLoss} and {@link CpoLoss}.
 */
public sealed interface PreferenceMethod permits DpoLoss, OrpoLoss, KtoLoss, SimpoLoss, CpoLoss {
    /** A short name for run records and tables: "dpo", "ipo", "orpo", "kto", "simpo", "cpo". */
    String label();

    /** Whether the loss compares with a reference model (all but ORPO, SimPO and CPO, whose runs never compute one). */
    default boolean needsReference() {
        return true;
    }
}
