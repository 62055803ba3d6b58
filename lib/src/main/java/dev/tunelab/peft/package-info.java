/**
 * Parameter-efficient fine-tuning: adapters that live inside a {@link dev.tunelab.model.LlamaModel}'s
 * module tree, so the ordinary {@link dev.tunelab.train.Trainer} trains them and nothing else; handed
 * the {@code PeftModel}, a trainer records the adapter's settings and checkpoints PEFT adapter folders.
 *
 * <pre>{@code
 * PeftModel peft = Lora.apply(model, LoraConfig.builder().r(8).alpha(16).allLinear().build());
 * peft                                   // renders "trainable params: ... || trainable%: ..."
 * Trainer.fit(peft, train, eval, new TrainConfig().steps(200));
 * peft.save(Path.of("my-adapter"));      // adapter_config.json + adapter_model.safetensors, as PEFT
 *
 * // QLoRA: NF4 base weights with double quantization, LoRA on top, merged back at the end
 * PeftModel q = Lora.apply(Quantization.quantize(model, QuantFormat.NF4, true), loraConfig);
 * q.mergeAndUnload().save(Path.of("merged-model"));
 *
 * // DoRA; PiSSA; LoftQ (quantizes the targets itself); LoRA+ in the training settings
 * Lora.apply(model, LoraConfig.builder().r(8).alpha(16).allLinear().useDora(true).build());
 * Lora.apply(model, LoraConfig.builder().r(8).alpha(16).allLinear().pissa().build());
 * Lora.apply(model, LoraConfig.builder().r(8).alpha(8).allLinear().loftq(1).build());
 * Trainer.fit(peft, train, eval, new TrainConfig().steps(200).loraPlus());
 * }</pre>
 *
 * <ul>
 *   <li>{@link dev.tunelab.peft.Lora}, {@link dev.tunelab.peft.LoraLinear}: LoRA (Hu et al. 2021), rsLoRA, merge, named adapters.
 *   <li>{@link dev.tunelab.peft.LoraConfig.Builder#useDora}, {@code pissa()}, {@code olora()}, {@code loftq(n)}: DoRA
 *       (Liu et al. 2024, {@code DoraMagnitude}) and the initialisations from the base weight ({@code LoraInit}:
 *       PiSSA, OLoRA, LoftQ), with PEFT's {@code use_dora}, {@code init_lora_weights} and {@code loftq_config}.
 *   <li>{@link dev.tunelab.peft.Quantization}, {@link dev.tunelab.peft.QuantizedLinear}, {@link dev.tunelab.peft.Nf4}:
 *       QLoRA's NF4 with block-wise absmax and double quantization (Dettmers et al. 2023), int4/int8 for comparison.
 *   <li>{@link dev.tunelab.peft.PromptTuning}, {@link dev.tunelab.peft.PrefixTuning}, {@link dev.tunelab.peft.Ia3}:
 *       Lester et al. 2021, Li &amp; Liang 2021, Liu et al. 2022.
 *   <li>{@link dev.tunelab.peft.PeftModel}: the adapted model, its parameter counts, saving and loading in PEFT's format.
 * </ul>
 */
package dev.tunelab.peft;
