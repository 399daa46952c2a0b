/*
 * A memory device (PNP0C80) over 512 MiB of boot RAM, as firmware lists a DIMM that is also in
 * the UEFI memory map: acpi_memhotplug's add returns -EEXIST, the blocks get the device as
 * their ACPI companion but no memory group. _EJ0 makes _STA report the device gone.
 * The range must match the scenario (acpi-bootmem-owner.conf): in ZONE_MOVABLE, free of boot
 * allocations. A unique OEM table ID (8 characters, as the log prints it), so that the table
 * upgrade installs it instead of overriding a table.
 */
DefinitionBlock ("", "SSDT", 2, "HPTEST", "BMEMOWNR", 0x00000001)
{
    Scope (\_SB)
    {
        Device (BMEM)
        {
            Name (_HID, EisaId ("PNP0C80"))
            Name (_UID, 0xB0)
            Name (STAV, 0x0F)
            Method (_STA, 0, NotSerialized)
            {
                Return (STAV)
            }
            Name (_CRS, ResourceTemplate ()
            {
                QWordMemory (ResourceConsumer, PosDecode, MinFixed, MaxFixed, Cacheable, ReadWrite,
                    0x0000000000000000, // Granularity
                    0x0000000160000000, // Range Minimum
                    0x000000017FFFFFFF, // Range Maximum
                    0x0000000000000000, // Translation Offset
                    0x0000000020000000, // Length
                    ,, , AddressRangeMemory, TypeStatic)
            })
            Method (_EJ0, 1, NotSerialized)
            {
                STAV = Zero
            }
        }
    }
}
