package dev.cohort.training;

/**
 * A contiguous range of the flat gradient buffer that is allreduced as one operation, as PyTorch
 * DDP's buckets. Buckets cover whole layers, in reverse layer order, so that the first bucket is
 * complete as soon as the backward pass finished the last layers.
 *
 * @param index position in the order buckets become ready (and are allreduced)
 * @param offset first element in the flat buffer
 * @param length number of elements
 * @param readyAfterLayer the lowest layer index the bucket holds: its gradients are all computed
 *     once the backward pass has finished this layer
 */
public record GradientBucket(int index, int offset, int length, int readyAfterLayer) {}
