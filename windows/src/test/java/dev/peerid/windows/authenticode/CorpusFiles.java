package dev.peerid.windows.authenticode;

import dev.peerid.testing.RealFiles;

/** The packages of real signed files the tests fetch, by exact version and pinned SHA-256. */
final class CorpusFiles {
  private CorpusFiles() {}

  /** Microsoft's conpty.dll and OpenConsole.exe (x64 and arm64), winpty (unsigned). */
  static final RealFiles.Npm NODE_PTY = new RealFiles.Npm("node-pty", "1.1.0",
      "c7517f19083ddcb05f276904680eb2b11a6b5ecab778b8e4e5685a6d645b3f60");
  /** Squirrel's vendor directory: signtool.exe (PE32, SHA-1, PKCS#9); its other tools are unsigned. */
  static final RealFiles.Npm ELECTRON_WINSTALLER = new RealFiles.Npm("electron-winstaller", "5.4.4",
      "d50041e57c74dc1cf35baa3d56c79f88ca4ed74617833b932620371d220bb2b7");

  // Debian bookworm's signed EFI binaries (deb.debian.org), three architectures each
  static final RealFiles.Deb SHIM_SIGNED_AMD64 = new RealFiles.Deb(
      "s/shim-signed/shim-signed_1.51~1+deb12u1+16.1-2~deb12u1_amd64.deb",
      "c2acf5e559664bbadb7ce5789f9a321f39754a34854d3097b8cc0369df513b3b");
  static final RealFiles.Deb SHIM_SIGNED_I386 = new RealFiles.Deb(
      "s/shim-signed/shim-signed_1.51~1+deb12u1+16.1-2~deb12u1_i386.deb",
      "c3497d2a2527e04e074c668cf4a524f6c05b6a05b150c8c888547d4e438dbca9");
  static final RealFiles.Deb SHIM_SIGNED_ARM64 = new RealFiles.Deb(
      "s/shim-signed/shim-signed_1.51~1+deb12u1+16.1-2~deb12u1_arm64.deb",
      "b0fba57ceea346d5c6deabe391ed24b9c5d72cc79572ae2cdcae376077cd8d00");
  static final RealFiles.Deb GRUB_AMD64 = new RealFiles.Deb(
      "g/grub-efi-amd64-signed/grub-efi-amd64-signed_1+2.06+13+deb12u2_amd64.deb",
      "fbe2b28166a6dca8111bbf6a30d52d4781973c3a0440d8080f901e039b1f83f2");
  static final RealFiles.Deb GRUB_I386 = new RealFiles.Deb(
      "g/grub-efi-ia32-signed/grub-efi-ia32-signed_1+2.06+13+deb12u2_i386.deb",
      "119bb58be7475f6f590bd9e40d8d74bd821cb1056437b105115463912fd2c50b");
  static final RealFiles.Deb GRUB_ARM64 = new RealFiles.Deb(
      "g/grub-efi-arm64-signed/grub-efi-arm64-signed_1+2.06+13+deb12u2_arm64.deb",
      "0035392c773553c70bb22079146b0365ff8220419997837289cc1591c2233e8e");
  static final RealFiles.Deb SHIM_HELPERS_AMD64 = new RealFiles.Deb(
      "s/shim-helpers-amd64-signed/shim-helpers-amd64-signed_1+16.1+2~deb12u1_amd64.deb",
      "26acac35133946c1642a09f3fda353ee3b849e5fc643fadb97a8dfec9e2b55fb");
  static final RealFiles.Deb SHIM_HELPERS_I386 = new RealFiles.Deb(
      "s/shim-helpers-i386-signed/shim-helpers-i386-signed_1+16.1+2~deb12u1_i386.deb",
      "6b357e11e55871bd27d7f55d8c0384039597fa033b8ddd32d432129391d1d5b7");
  static final RealFiles.Deb SHIM_HELPERS_ARM64 = new RealFiles.Deb(
      "s/shim-helpers-arm64-signed/shim-helpers-arm64-signed_1+16.1+2~deb12u1_arm64.deb",
      "d1d5c6d7c9b374cab2abd5e0a17a39f5c0b56a0789ac75ad10a75bc1ad37c693");
  static final RealFiles.Deb FWUPD_AMD64 = new RealFiles.Deb(
      "f/fwupd-amd64-signed/fwupd-amd64-signed_1.4+1_amd64.deb",
      "a661e04ac81e7e67c81adbe77a63bddb351b658c6e6c50ec88d79e92e140c109");
  static final RealFiles.Deb FWUPD_I386 = new RealFiles.Deb(
      "f/fwupd-i386-signed/fwupd-i386-signed_1.4+1_i386.deb",
      "2aeb644e2107e2e9ea93039d14c62f1fcb4e489d18a7b77e5465a4769d460932");
  static final RealFiles.Deb FWUPD_ARM64 = new RealFiles.Deb(
      "f/fwupd-arm64-signed/fwupd-arm64-signed_1.4+1_arm64.deb",
      "5b59d4ee0cb722275bbda3ea28e431f03ddea24ecc7226a81ee083b6a0ad83a1");
}
