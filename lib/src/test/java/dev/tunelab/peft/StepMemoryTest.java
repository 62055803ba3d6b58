package dev.tunelab.peft;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.tunelab.model.LlamaModel;
import dev.tunelab.train.Losses;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** A training step's arrays live in the step's manager: the model's manager holds as many arrays after it as before. */
class StepMemoryTest {
    @Test
    void stepsLeaveNoArraysInTheModelsManager() {
        Map<String, Function<LlamaModel, PeftModel>> methods = Map.of(
                "qlora", m -> Lora.apply(Quantization.quantize(m, QuantFormat.NF4, true), LoraConfig.builder().allLinear().dropout(0.1).build()),
                "int8+lora", m -> Lora.apply(Quantization.quantize(m, QuantFormat.INT8, false), LoraConfig.builder().build()),
                "prompt", m -> PromptTuning.apply(m, PromptTuningConfig.builder().numVirtualTokens(2).build()),
                "prefix", m -> PrefixTuning.apply(m, PrefixTuningConfig.builder().numVirtualTokens(2).prefixProjection(true).build()),
                "ia3", m -> Ia3.apply(m, Ia3Config.builder().build()),
                "dora", m -> Lora.apply(m, LoraConfig.builder().allLinear().useDora(true).dropout(0.1).build()),
                "qdora", m -> Lora.apply(Quantization.quantize(m, QuantFormat.NF4, true), LoraConfig.builder().useDora(true).build()),
                "neftune+lora", m -> {
                    m.setNeftuneAlpha(5);
                    return Lora.apply(m, LoraConfig.builder().build());
                });
        methods.forEach((name, method) -> {
            try (LlamaModel model = TinyModels.model(1)) {
                method.apply(model);
                model.train(true);
                step(model); // the first backward creates the gradient buffers
                int before = model.manager().getManagedArrays().size();
                step(model);
                step(model);
                assertEquals(before, model.manager().getManagedArrays().size(), name);
            }
        });
    }

    private static void step(LlamaModel model) {
        try (NDManager m = model.manager().newSubManager();
                GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            var ids = m.create(TinyModels.IDS);
            gc.backward(Losses.causalLm(model.forward(ids), ids));
            model.trainableParameters().values().forEach(p -> p.gradient(m));
        }
    }
}
