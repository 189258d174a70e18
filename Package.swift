// swift-tools-version:6.0
// Higgs Studio: a terminal studio for Higgs Audio v2, running the model in-process on the CPU.
//
// Targets follow the data path:
//   script -> Prompt -> TextTokenizer -> Transformer -> Generation -> AudioCodec -> Playback
// with Checkpoint (weights on disk), Kernels (BLAS/SIMD) and AudioIO (WAV, MP3, resampling) beneath,
// Engine tying the stages together, Studio (document, takes, queue, export) and StudioTerminal
// (the ncurses screen) on top, and the `higgs` command line.
import PackageDescription

let numeric: [SwiftSetting] = [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]

let package = Package(
    name: "HiggsStudio",
    products: [
        .executable(name: "higgs", targets: ["higgs"]),
        .library(name: "Engine", targets: ["Engine"]),
        .library(name: "Studio", targets: ["Studio"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.19"),
    ],
    targets: [
        // System libraries, each with the Debian package that provides it.
        .systemLibrary(name: "COpenBLAS", path: "Sources/System/COpenBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CNcurses", path: "Sources/System/CNcurses", pkgConfig: "ncursesw",
                       providers: [.apt(["libncursesw5-dev"])]),
        .systemLibrary(name: "CALSA", path: "Sources/System/CALSA", pkgConfig: "alsa",
                       providers: [.apt(["libasound2-dev"])]),
        .systemLibrary(name: "CSoxr", path: "Sources/System/CSoxr", pkgConfig: "soxr",
                       providers: [.apt(["libsoxr-dev"])]),
        .systemLibrary(name: "CLame", path: "Sources/System/CLame", pkgConfig: "lame",
                       providers: [.apt(["libmp3lame-dev"])]),

        // Kernels: BLAS calls and SIMD loops, apart from model logic. CKernels holds the hand-written
        // matrix-vector kernels (AVX-512 / AVX2 / portable, chosen at run time) and the thread pool.
        .target(name: "CKernels", cSettings: [.unsafeFlags(["-O3", "-fno-math-errno"])]),
        .target(name: "Kernels", dependencies: ["COpenBLAS", "CKernels"], swiftSettings: numeric),

        // Weights on disk: safetensors (generation model) and torch zip archives (audio tokenizer).
        .target(name: "Checkpoint", dependencies: [.product(name: "ZIPFoundation", package: "ZIPFoundation")]),

        // The data path.
        .target(name: "TextTokenizer"),
        .target(name: "Prompt", dependencies: ["TextTokenizer", .product(name: "Yams", package: "Yams")]),
        .target(name: "Transformer", dependencies: ["Checkpoint", "Kernels"], swiftSettings: numeric),
        .target(name: "Generation", dependencies: ["Transformer", "Kernels"], swiftSettings: numeric),
        .target(name: "AudioIO", dependencies: ["CSoxr", "CLame"], swiftSettings: numeric),
        .target(name: "AudioCodec", dependencies: ["Checkpoint", "Kernels", "AudioIO", "Generation", "CCodecKernels"], swiftSettings: numeric),
        .target(name: "CCodecKernels", cSettings: [.unsafeFlags(["-O3"])]),
        .target(name: "Engine", dependencies: ["Checkpoint", "TextTokenizer", "Prompt", "Transformer",
                                               "Generation", "AudioIO", "AudioCodec"]),
        .target(name: "Playback", dependencies: ["CALSA"]),

        // The product.
        .target(name: "ModelHub", dependencies: [.product(name: "Yams", package: "Yams")]),
        .target(name: "Studio", dependencies: ["ModelHub", "Engine", "AudioCodec", "Generation", "AudioIO", "Prompt", "Transformer", "Kernels",
                                               .product(name: "Yams", package: "Yams")]),
        .target(name: "StudioTerminal", dependencies: ["Studio", "Playback", "AudioIO", "CNcurses"]),
        .executableTarget(name: "higgs", dependencies: [
            "Engine", "Studio", "StudioTerminal", "Playback", "TextTokenizer", "Transformer", "Generation",
            "Checkpoint", "Kernels", "ModelHub",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // Tests, one target per stage; fixtures made by Tools/fixtures (by hand, never by CI).
        .target(name: "TestSupport", dependencies: ["AudioCodec", "ModelHub", .product(name: "ZIPFoundation", package: "ZIPFoundation")],
                path: "Tests/TestSupport"),
        .testTarget(name: "KernelsTests", dependencies: ["TestSupport", "Kernels"]),
        .testTarget(name: "CheckpointTests", dependencies: ["TestSupport", "Checkpoint", "Transformer"],
                    exclude: ["Fixtures"]),
        .testTarget(name: "TextTokenizerTests", dependencies: ["TestSupport", "TextTokenizer"],
                    exclude: ["Fixtures"]),
        .testTarget(name: "PromptTests", dependencies: ["TestSupport", "Prompt", "TextTokenizer"],
                    exclude: ["Fixtures"]),
        .testTarget(name: "TransformerTests", dependencies: ["TestSupport", "Transformer", "Checkpoint"],
                    exclude: ["Fixtures"]),
        .testTarget(name: "GenerationTests", dependencies: ["TestSupport", "Generation", "Engine"],
                    exclude: ["Fixtures"]),
        .testTarget(name: "AudioCodecTests", dependencies: ["TestSupport", "AudioCodec", "AudioIO", "Checkpoint", "CCodecKernels", "Kernels"],
                    exclude: ["Fixtures"]),
        .testTarget(name: "EngineTests", dependencies: ["TestSupport", "Engine", "Prompt", "Generation", "Transformer"],
                    exclude: ["Fixtures"]),
        .testTarget(name: "StudioTests", dependencies: ["TestSupport", "Studio", "ModelHub", "Engine", "Generation", "AudioCodec", "Prompt", "Transformer", "AudioIO"]),
        .testTarget(name: "PlaybackTests", dependencies: ["TestSupport", "Playback", "AudioIO"]),
        // Drives the real `higgs` binary in tmux (the dependency makes `swift test` build it).
        .testTarget(name: "ModelHubTests", dependencies: ["TestSupport", "ModelHub", "Studio"]),
        .testTarget(name: "CLITests", dependencies: ["TestSupport", "AudioCodec", "AudioIO", "Engine", "Generation", "Prompt", "Studio", "Transformer", "higgs"]),
        .testTarget(name: "StudioTerminalTests", dependencies: ["TestSupport", "Studio", "Prompt", "AudioIO", "higgs"]),
    ],
    swiftLanguageModes: [.v5]
)
