package dev.convexpipeline.emulator.functions;

/** A function as deployed: where it lives, what kind it is, who may call it. */
public record RegisteredFunction(FunctionPath path, FunctionKind kind, boolean internal, ConvexFunction body) {
}
