package dev.peerid.windows.authenticode;

import dev.peerid.testing.RealFiles;

/** The packages of real signed files the tests fetch, by exact version and pinned SHA-256. */
final class CorpusFiles {
  private CorpusFiles() {}

  /** Microsoft's conpty.dll and OpenConsole.exe (x64 and arm64), winpty (unsigned). */
  static final RealFiles.Npm NODE_PTY = new RealFiles.Npm("node-pty", "1.1.0",
      "c7517f19083ddcb05f276904680eb2b11a6b5ecab778b8e4e5685a6d645b3f60");
  /** Squirrel's vendor directory: signtool.exe (PE32, SHA-1, PKCS#9), 7-Zip, WiX, NuGet. */
  static final RealFiles.Npm ELECTRON_WINSTALLER = new RealFiles.Npm("electron-winstaller", "5.4.4",
      "d50041e57c74dc1cf35baa3d56c79f88ca4ed74617833b932620371d220bb2b7");

  static final RealFiles.Deb SHIM_SIGNED_AMD64 = new RealFiles.Deb(
      "s/shim-signed/shim-signed_1.51~1+deb12u1+16.1-2~deb12u1_amd64.deb",
      "c2acf5e559664bbadb7ce5789f9a321f39754a34854d3097b8cc0369df513b3b");
}
