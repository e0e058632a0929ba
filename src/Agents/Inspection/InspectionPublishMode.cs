namespace EdgeAI.Agents.Inspection;

/// <summary>What the inspection agent publishes (<c>Inspection:Publish</c>).</summary>
internal enum InspectionPublishMode
{
    /// <summary>One <c>…/inspection/result</c> message per inspected frame, defective or not.</summary>
    Frame,

    /// <summary>One <c>…/inspection/defect</c> message per defect region of a defective frame; nothing for good parts.</summary>
    Defect,
}
