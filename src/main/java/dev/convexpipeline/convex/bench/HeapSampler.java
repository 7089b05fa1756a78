package dev.convexpipeline.convex.bench;

import com.sun.management.GarbageCollectionNotificationInfo;

import javax.management.Notification;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.MemoryPoolMXBean;

/**
 * Measures this JVM's heap during one benchmark phase, two ways:
 * <ul>
 *   <li>{@link #peakUsed()}: the highest heap occupancy a 5 ms sampling thread saw. It includes
 *       garbage not yet collected, so it mostly follows how large the GC lets the young
 *       generation grow during a longer phase.</li>
 *   <li>{@link #peakLive()}: the highest heap occupancy right after a collection (from GC
 *       notifications), i.e. what the client actually kept reachable: the figure that must not
 *       grow with the snapshot size.</li>
 * </ul>
 */
public final class HeapSampler implements AutoCloseable {
    private static final long SAMPLE_MILLIS = 5;

    private final MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    private final Thread sampler;
    private final NotificationListener gcListener = this::onGc;
    private volatile boolean running = true;
    private volatile long peakUsed;
    private volatile long peakLive;

    /** Collects garbage and resets the pools' peaks, so the phase starts from its own baseline. */
    public static HeapSampler start() {
        System.gc();
        ManagementFactory.getMemoryPoolMXBeans().forEach(MemoryPoolMXBean::resetPeakUsage);
        return new HeapSampler();
    }

    private HeapSampler() {
        peakUsed = memory.getHeapMemoryUsage().getUsed();
        peakLive = peakUsed;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            if (gc instanceof NotificationEmitter emitter) {
                emitter.addNotificationListener(gcListener, null, null);
            }
        }
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

    private void onGc(Notification notification, Object handback) {
        if (!GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(notification.getType())) {
            return;
        }
        GarbageCollectionNotificationInfo info =
                GarbageCollectionNotificationInfo.from((CompositeData) notification.getUserData());
        long after = info.getGcInfo().getMemoryUsageAfterGc().entrySet().stream()
                .filter(pool -> isHeapPool(pool.getKey()))
                .mapToLong(pool -> pool.getValue().getUsed()).sum();
        peakLive = Math.max(peakLive, after);
    }

    private static boolean isHeapPool(String name) {
        return ManagementFactory.getMemoryPoolMXBeans().stream()
                .anyMatch(pool -> pool.getName().equals(name) && pool.getType() == java.lang.management.MemoryType.HEAP);
    }

    /** Highest sampled heap occupancy in bytes (garbage included). */
    public long peakUsed() {
        return Math.max(peakUsed, memory.getHeapMemoryUsage().getUsed());
    }

    /** Highest heap occupancy after any collection during the phase, in bytes. */
    public long peakLive() {
        return peakLive;
    }

    @Override
    public void close() {
        running = false;
        sampler.interrupt();
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            if (gc instanceof NotificationEmitter emitter) {
                try {
                    emitter.removeNotificationListener(gcListener);
                } catch (javax.management.ListenerNotFoundException ignored) {
                    // never registered on this collector
                }
            }
        }
    }
}
