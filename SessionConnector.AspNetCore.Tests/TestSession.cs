using System;

namespace SessionConnector.AspNetCore.Tests;

/// <summary>The tests' session: a user, a counter, a note and 50 independent members for the merge test.</summary>
[SessionData]
public partial class TestSession
{
    public string? User { get; set; }

    public int Counter { get; set; }

    public string? Note { get; set; }

    public int M00 { get; set; }

    public int M01 { get; set; }

    public int M02 { get; set; }

    public int M03 { get; set; }

    public int M04 { get; set; }

    public int M05 { get; set; }

    public int M06 { get; set; }

    public int M07 { get; set; }

    public int M08 { get; set; }

    public int M09 { get; set; }

    public int M10 { get; set; }

    public int M11 { get; set; }

    public int M12 { get; set; }

    public int M13 { get; set; }

    public int M14 { get; set; }

    public int M15 { get; set; }

    public int M16 { get; set; }

    public int M17 { get; set; }

    public int M18 { get; set; }

    public int M19 { get; set; }

    public int M20 { get; set; }

    public int M21 { get; set; }

    public int M22 { get; set; }

    public int M23 { get; set; }

    public int M24 { get; set; }

    public int M25 { get; set; }

    public int M26 { get; set; }

    public int M27 { get; set; }

    public int M28 { get; set; }

    public int M29 { get; set; }

    public int M30 { get; set; }

    public int M31 { get; set; }

    public int M32 { get; set; }

    public int M33 { get; set; }

    public int M34 { get; set; }

    public int M35 { get; set; }

    public int M36 { get; set; }

    public int M37 { get; set; }

    public int M38 { get; set; }

    public int M39 { get; set; }

    public int M40 { get; set; }

    public int M41 { get; set; }

    public int M42 { get; set; }

    public int M43 { get; set; }

    public int M44 { get; set; }

    public int M45 { get; set; }

    public int M46 { get; set; }

    public int M47 { get; set; }

    public int M48 { get; set; }

    public int M49 { get; set; }

    public void SetMember(int index, int value)
    {
        switch (index)
        {
            case 0: M00 = value; break;
            case 1: M01 = value; break;
            case 2: M02 = value; break;
            case 3: M03 = value; break;
            case 4: M04 = value; break;
            case 5: M05 = value; break;
            case 6: M06 = value; break;
            case 7: M07 = value; break;
            case 8: M08 = value; break;
            case 9: M09 = value; break;
            case 10: M10 = value; break;
            case 11: M11 = value; break;
            case 12: M12 = value; break;
            case 13: M13 = value; break;
            case 14: M14 = value; break;
            case 15: M15 = value; break;
            case 16: M16 = value; break;
            case 17: M17 = value; break;
            case 18: M18 = value; break;
            case 19: M19 = value; break;
            case 20: M20 = value; break;
            case 21: M21 = value; break;
            case 22: M22 = value; break;
            case 23: M23 = value; break;
            case 24: M24 = value; break;
            case 25: M25 = value; break;
            case 26: M26 = value; break;
            case 27: M27 = value; break;
            case 28: M28 = value; break;
            case 29: M29 = value; break;
            case 30: M30 = value; break;
            case 31: M31 = value; break;
            case 32: M32 = value; break;
            case 33: M33 = value; break;
            case 34: M34 = value; break;
            case 35: M35 = value; break;
            case 36: M36 = value; break;
            case 37: M37 = value; break;
            case 38: M38 = value; break;
            case 39: M39 = value; break;
            case 40: M40 = value; break;
            case 41: M41 = value; break;
            case 42: M42 = value; break;
            case 43: M43 = value; break;
            case 44: M44 = value; break;
            case 45: M45 = value; break;
            case 46: M46 = value; break;
            case 47: M47 = value; break;
            case 48: M48 = value; break;
            case 49: M49 = value; break;
            default: throw new ArgumentOutOfRangeException(nameof(index));
        }
    }

    public int MembersSet() =>
        (M00 != 0 ? 1 : 0) + (M01 != 0 ? 1 : 0) + (M02 != 0 ? 1 : 0) + (M03 != 0 ? 1 : 0) + (M04 != 0 ? 1 : 0) + (M05 != 0 ? 1 : 0) + (M06 != 0 ? 1 : 0) + (M07 != 0 ? 1 : 0) + (M08 != 0 ? 1 : 0) + (M09 != 0 ? 1 : 0) + (M10 != 0 ? 1 : 0) + (M11 != 0 ? 1 : 0) + (M12 != 0 ? 1 : 0) + (M13 != 0 ? 1 : 0) + (M14 != 0 ? 1 : 0) + (M15 != 0 ? 1 : 0) + (M16 != 0 ? 1 : 0) + (M17 != 0 ? 1 : 0) + (M18 != 0 ? 1 : 0) + (M19 != 0 ? 1 : 0) + (M20 != 0 ? 1 : 0) + (M21 != 0 ? 1 : 0) + (M22 != 0 ? 1 : 0) + (M23 != 0 ? 1 : 0) + (M24 != 0 ? 1 : 0) + (M25 != 0 ? 1 : 0) + (M26 != 0 ? 1 : 0) + (M27 != 0 ? 1 : 0) + (M28 != 0 ? 1 : 0) + (M29 != 0 ? 1 : 0) + (M30 != 0 ? 1 : 0) + (M31 != 0 ? 1 : 0) + (M32 != 0 ? 1 : 0) + (M33 != 0 ? 1 : 0) + (M34 != 0 ? 1 : 0) + (M35 != 0 ? 1 : 0) + (M36 != 0 ? 1 : 0) + (M37 != 0 ? 1 : 0) + (M38 != 0 ? 1 : 0) + (M39 != 0 ? 1 : 0) + (M40 != 0 ? 1 : 0) + (M41 != 0 ? 1 : 0) + (M42 != 0 ? 1 : 0) + (M43 != 0 ? 1 : 0) + (M44 != 0 ? 1 : 0) + (M45 != 0 ? 1 : 0) + (M46 != 0 ? 1 : 0) + (M47 != 0 ? 1 : 0) + (M48 != 0 ? 1 : 0) + (M49 != 0 ? 1 : 0);
}
