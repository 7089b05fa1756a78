package dev.convexpipeline.convex.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.List;

/**
 * Measures this JVM's heap during one benchmark phase: the highest heap occupancy seen by a
 * sampling thread (includes garbage not yet collected, so it mostly reflects GC sizing), and the
 * peak of the old generation (what survives collections, i.e. what the client really retains).
 */
final class HeapSampler implements AutoCloseable {
    private static final long SAMPLE_MILLIS = 5;

    private final MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    private final List<MemoryPoolMXBean> heapPools = ManagementFactory.getMemoryPoolMXBeans().stream()
            .filter(pool -> pool.getType() == MemoryType.HEAP && pool.isValid()).toList();
    private final Thread sampler;
    private volatile boolean running = true;
    private volatile long peakUsed;

    /** Collects garbage and resets every pool's peak, so the phase starts from its own baseline. */
    static HeapSampler start() {
        System.gc();
        ManagementFactory.getMemoryPoolMXBeans().forEach(MemoryPoolMXBean::resetPeakUsage);
        return new HeapSampler();
    }

    private HeapSampler() {
        peakUsed = memory.getHeapMemoryUsage().getUsed();
        sampler = new Thread(() -> {
            while (running) {
                peakUsed = Math.max(peakUsed, memory.getHeapMemoryUsage().getUsed());
                try {
                    Thread.sleep(SAMPLE_MILLIS);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "heap-sampler");
        sampler.setDaemon(true);
        sampler.start();
    }

    /** Highest sampled heap occupancy in bytes. */
    long peakUsed() {
        return Math.max(peakUsed, memory.getHeapMemoryUsage().getUsed());
    }

    /** Peak of the old-generation pool(s) since the reset, in bytes. */
    long oldGenPeak() {
        return heapPools.stream()
                .filter(pool -> pool.getName().contains("Old") || pool.getName().contains("Tenured"))
                .mapToLong(pool -> pool.getPeakUsage().getUsed()).sum();
    }

    @Override
    public void close() {
        running = false;
        sampler.interrupt();
    }
}
