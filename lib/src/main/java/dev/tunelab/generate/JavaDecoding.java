package dev.tunelab.generate;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import com.sun.management.HotSpotDiagnosticMXBean;
import dev.tunelab.model.Dense;
import dev.tunelab.model.Linear;
import dev.tunelab.model.LlamaConfig;
import dev.tunelab.model.LlamaModel;
import dev.tunelab.model.Module;
import dev.tunelab.peft.Ia3Linear;
import dev.tunelab.peft.LoraLinear;
import dev.tunelab.peft.QuantizedLinear;
import java.lang.management.ManagementFactory;
import java.lang.reflect.RecordComponent;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Whether the Java decoder can run a model in this JVM, and if not, why. It computes exactly
 * what the DJL forward pass computes for the features it knows; anything else (a GPU, another
 * dtype, dropout in training mode, a layer type or config field it has not been taught) sends
 * {@link Backend#AUTO} to the DJL path rather than computing something different.
 *
 * <p>This class touches no Vector API type, so it loads in a JVM without the incubator module.
 */
final class JavaDecoding {
    /**
     * The {@link LlamaConfig} fields the Java decoder honours (or that do not change inference:
     * ids, initialisation, dropout, which only acts in training mode). A field added to the config
     * later is unknown here, and models fall back to DJL until the decoder learns it.
     */
    private static final Set<String> KNOWN_CONFIG_FIELDS = Set.of("modelType", "vocabSize", "hiddenSize",
            "intermediateSize", "numHiddenLayers", "numAttentionHeads", "numKeyValueHeads", "headDim", "rmsNormEps",
            "ropeTheta", "ropeScaling", "maxPositionEmbeddings", "tieWordEmbeddings", "attentionBias",
            "attentionOutputBias", "mlpBias", "bosTokenId", "eosTokenIds", "padTokenId", "initializerRange",
            "attentionDropout", "slidingWindow", "maxWindowLayers");
    private static final Set<String> MODEL_TYPES = Set.of("llama", "mistral", "qwen2");
    private static final String RUNTIME_PROBLEM = runtimeProblem();

    private JavaDecoding() {}

    /** Null when the Java decoder can run {@code model} now; else the reason, naming what to change. */
    static String unsupportedReason(LlamaModel model) {
        return unsupportedReason(model, 0, 0);
    }

    /** As above, for a call that decodes {@code rows} sequences of up to {@code positions} positions (its KV cache counts). */
    static String unsupportedReason(LlamaModel model, int rows, int positions) {
        if (RUNTIME_PROBLEM != null) {
            return RUNTIME_PROBLEM;
        }
        if (!Device.Type.CPU.equals(model.device().getDeviceType())) {
            return "the model is on " + model.device() + "; the Java decoder runs on the CPU";
        }
        if (model.dtype() != DataType.FLOAT32) {
            return "the model computes in " + model.dtype() + "; the Java decoder computes in float32";
        }
        String config = configProblem(model.config());
        if (config != null) {
            return config;
        }
        for (Map.Entry<String, Module> e : model.namedModules().entrySet()) {
            Module m = e.getValue();
            if (m.isTraining()) {
                String what = e.getKey().isEmpty() ? "the model" : "module '" + e.getKey() + "'";
                return what + " is in training mode, where dropout is random; call model.train(false)";
            }
            if (m instanceof Linear && !(m instanceof Dense || m instanceof LoraLinear || m instanceof Ia3Linear
                    || m instanceof QuantizedLinear)) {
                return "layer '" + e.getKey() + "' is a " + m.getClass().getSimpleName() + ", which the Java decoder does not know";
            }
        }
        return memoryProblem(model.config(), rows, positions);
    }

    static String configProblem(LlamaConfig c) {
        Set<String> unknown = new TreeSet<>();
        for (RecordComponent rc : LlamaConfig.class.getRecordComponents()) {
            if (!KNOWN_CONFIG_FIELDS.contains(rc.getName())) {
                unknown.add(rc.getName());
            }
        }
        if (!unknown.isEmpty()) {
            return "LlamaConfig has fields the Java decoder does not know: " + unknown;
        }
        if (!MODEL_TYPES.contains(c.modelType())) {
            return "model_type '" + c.modelType() + "' is not one of " + new TreeSet<>(MODEL_TYPES);
        }
        if (c.ropeScaling() != null && !c.ropeScaling().type().equals("llama3")) {
            return "rope_scaling type '" + c.ropeScaling().type() + "' is not llama3";
        }
        for (int layer = 0; layer < c.numHiddenLayers(); layer++) {
            if (c.attentionWindow(layer) > 0) {
                return "layer " + layer + " has sliding-window attention (sliding_window " + c.attentionWindow(layer)
                        + "), which the Java decoder does not implement";
            }
        }
        return null;
    }

    /** The decoder keeps every weight as float32 on the Java heap (the LM head twice when tied), and its KV cache. */
    private static String memoryProblem(LlamaConfig c, int rows, int positions) {
        long weights = c.parameterCount() + (c.tieWordEmbeddings() ? (long) c.vocabSize() * c.hiddenSize() : 0);
        long cache = (long) rows * positions * c.numHiddenLayers() * 2L * c.numKeyValueHeads() * c.headDim();
        long bytes = 4 * (weights + cache + (long) rows * c.vocabSize());
        Runtime rt = Runtime.getRuntime();
        long free = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
        if (bytes > free) {
            return String.format("the weights and KV cache need %,d MB of Java heap in float32, %,d MB are free (raise -Xmx)",
                    bytes >> 20, free >> 20);
        }
        return null;
    }

    private static String runtimeProblem() {
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            return "the JVM was started without --add-modules jdk.incubator.vector (the Vector API the Java decoder uses)";
        }
        if (System.getProperty("java.vm.info", "").contains("interpreted")) {
            return "the JVM runs interpreted only (-Xint)";
        }
        try {
            HotSpotDiagnosticMXBean vm = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
            boolean tiered = Boolean.parseBoolean(vm.getVMOption("TieredCompilation").getValue());
            int level = Integer.parseInt(vm.getVMOption("TieredStopAtLevel").getValue());
            if (tiered && level < 4) {
                // C1 does not compile Vector API calls to vector instructions: measured 100x slower.
                return "the JIT stops at tier " + level + " (-XX:TieredStopAtLevel=" + level
                        + "), where Vector API code runs about 100 times slower; start the JVM without that flag";
            }
        } catch (RuntimeException | LinkageError e) {
            // not a HotSpot JVM: its JIT is assumed to compile the Vector API
        }
        return null;
    }
}
