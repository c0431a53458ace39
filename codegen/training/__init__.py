"""From audio folders to a quantized keyword model, and the numbers that judge it.

* ``synth``: a Speech-Commands-layout dataset synthesized with espeak-ng;
* ``dataset``: reading that layout (split lists or TF's hash split, silence and unknown classes);
* ``prepare``: features for every clip, with augmentation, computed on all cores into an on-disk cache;
* ``archs``: the model architectures, each built only from operators codegen lowers;
* ``train``: Keras training and full-int8 conversion;
* ``evaluate``: float, host-int8 and firmware-in-the-emulator accuracy on the test split.

TensorFlow is imported inside functions: the rest of codegen must not pay for it.
"""
