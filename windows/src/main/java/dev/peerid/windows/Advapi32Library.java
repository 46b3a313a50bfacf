package dev.peerid.windows;

import com.sun.jna.WString;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.PointerByReference;
import com.sun.jna.win32.StdCallLibrary;

/** advapi32: only the SDDL conversion the named-pipe helper needs (jna-platform does not map it). */
interface Advapi32Library extends StdCallLibrary {
  int SDDL_REVISION_1 = 1;

  boolean ConvertStringSecurityDescriptorToSecurityDescriptorW(WString sddl, int revision,
      PointerByReference securityDescriptor, IntByReference size);
}
