package io.isol8.engine.docker;

import io.isol8.engine.Sandbox;

/** A sandbox that adds to another: everything it does not override goes to {@link #inner}. */
abstract class ForwardingSandbox implements Sandbox {
    protected final Sandbox inner;

    ForwardingSandbox(Sandbox inner) {
        this.inner = inner;
    }

    @Override
    public String containerId() {
        return inner.containerId();
    }

    @Override
    public boolean killAll() {
        return inner.killAll();
    }

    @Override
    public byte[] readFile(String path, long maxBytes) {
        return inner.readFile(path, maxBytes);
    }

    @Override
    public void writeFile(String path, byte[] content, String sizeHint) {
        inner.writeFile(path, content, sizeHint);
    }

    @Override
    public void close() {
        inner.close();
    }
}
