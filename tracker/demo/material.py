"""What the demo patients bring to their sessions: themes in their own words, beliefs that
shift, small daily strategies, and what their therapists wrote. All fictional."""

# Each patient: themes (label, category, what came up over time), beliefs (old, new),
# strategies (category, description, times a week, and the modified version), intentions
# and summaries for the sessions of the plan in course.py.
MATERIAL = {
    "Maya Okafor": {
        "themes": [
            ("grief for my father", "memory",
             ["Remembered his hands repairing the boat; tears, then a long quiet.",
              "Less sharp today; spoke of him with a smile for the first time.",
              "Said the grief feels like weather now, not like a wall."]),
            ("the ocean", "imagery",
             ["Saw a vast, calm ocean and felt held by it rather than lost in it.",
              "The ocean returned, this time with her sister standing beside her.",
              "Noticed she can call up the image when anxious at work."]),
            ("my sister", "relationship",
             ["Has not called her sister in a year; guilt and longing.",
              "Sent her sister a photo of the harbour; they spoke for an hour."]),
        ],
        "beliefs": [
            ("I have to earn love", "I am worth care as I am"),
            ("If I stop, the sadness will swallow me", "I can rest and the sadness passes"),
        ],
        "strategies": [
            ("nature", "10-minute walk by the water after work", 5,
             "Walk by the water at lunch, 15 minutes, phone left at the desk"),
            ("journaling", "Write three lines before bed about one moment of care", 7, None),
            ("connection", "Text my sister once a week", 1, None),
        ],
        "intentions": {
            "preparation": "To meet the grief gently instead of running from it.",
            "dosing": "To let the ocean hold me and see what my father would say.",
        },
    },
    "Daniel Reyes": {
        "themes": [
            ("the inner critic's voice", "emotion",
             ["Heard the critic as his old coach's voice; felt anger, then sadness.",
              "The voice was quieter; he could answer it.",
              "Caught it mid-sentence at work and laughed."]),
            ("a locked room", "imagery",
             ["Saw a locked room with a child inside; did not open it.",
              "Opened the door a little; the child was drawing."]),
            ("tension in the jaw", "body",
             ["Noticed his jaw clenched through most of the session.",
              "Jaw softened during the breath practice."]),
        ],
        "beliefs": [
            ("Nothing I do is good enough", "Good enough is good enough"),
            ("Resting is lazy", "Rest is part of doing good work"),
        ],
        "strategies": [
            ("mindfulness", "Three slow breaths before opening email", 10,
             "Three slow breaths before each meeting, with a hand on the chest"),
            ("movement", "Stretch for five minutes after the children's bedtime", 4, None),
            ("connection", "Tell my partner one thing that went well each evening", 5, None),
        ],
        "intentions": {
            "preparation": "To hear the critic without obeying it.",
            "dosing": "To open the door of the locked room, if it is ready.",
        },
    },
    "Priya Natarajan": {
        "themes": [
            ("the accident", "memory",
             ["Recalled the sound of the brakes; shaking, then steadier breathing.",
              "Told the story from the beginning to the end without stopping.",
              "The memory felt like something that happened, not something happening."]),
            ("my body as a safe place", "body",
             ["Felt her feet on the floor for the first time in weeks.",
              "Described warmth in her chest when she placed a hand there."]),
            ("a bright field", "imagery",
             ["Walked through a bright field with no road in sight.",
              "The field had a path she chose herself."]),
        ],
        "beliefs": [
            ("The world is not safe", "I can notice when I am safe"),
            ("My body betrayed me", "My body is learning to trust again"),
        ],
        "strategies": [
            ("movement", "Gentle yoga video, 15 minutes, mornings", 4,
             "Gentle yoga, 10 minutes, with the grounding pose first"),
            ("mindfulness", "5-4-3-2-1 grounding when a car horn startles me", 7, None),
            ("nature", "Sit in the park for ten minutes on Sundays", 1, None),
        ],
        "intentions": {
            "preparation": "To feel safe in my body, even for a moment.",
            "dosing": "To let the memory move through without holding on.",
        },
    },
    "Thomas Becker": {
        "themes": [
            ("work that mattered", "meaning",
             ["Spoke of retirement as a loss of purpose.",
              "Remembered teaching apprentices; pride and warmth."]),
            ("the old workshop", "imagery",
             ["Saw his father's workshop, full of light.",
              "Imagined building something for his grandson."]),
        ],
        "beliefs": [
            ("I am useless now", "I still have things to give"),
        ],
        "strategies": [
            ("connection", "Call one former colleague each week", 1,
             "Volunteer at the repair café on Saturdays"),
            ("movement", "Morning walk with the dog, 20 minutes", 6, None),
        ],
        "intentions": {
            "preparation": "To find a reason to get up that is mine.",
            "dosing": "To see what still matters to me.",
        },
    },
    "Alex Kim": {
        "themes": [
            ("being a burden", "emotion",
             ["Apologised four times in the first ten minutes.",
              "Noticed the urge to apologise and paused instead.",
              "Asked a friend for help moving and felt relief, not shame."]),
            ("a lighthouse", "imagery",
             ["Saw a lighthouse whose light reached other boats.",
              "The lighthouse keeper was smiling at them."]),
        ],
        "beliefs": [
            ("People only tolerate me", "Some people like having me around"),
        ],
        "strategies": [
            ("connection", "Say yes to one invitation a week", 1,
             "Invite one friend for coffee every other week"),
            ("journaling", "Note one moment someone was glad to see me", 5, None),
        ],
        "intentions": {
            "preparation": "To let people be glad I am there.",
            "dosing": "To see myself as my friends see me.",
        },
    },
    "Rosa Delgado": {
        "themes": [
            ("grief for Lucía", "emotion",
             ["Said her daughter's name aloud for the first time in session.",
              "Cried and said the crying felt clean.",
              "Spoke of Lucía with tenderness rather than only pain."]),
            ("a garden in winter", "imagery",
             ["Saw a garden under snow, with bulbs resting underground.",
              "The first green shoots appeared in the image."]),
            ("my partner", "relationship",
             ["They grieve differently; she feels alone in it.",
              "They lit a candle together on Sunday."]),
        ],
        "beliefs": [
            ("If I stop grieving I will forget her", "I can carry her with love, not only pain"),
        ],
        "strategies": [
            ("journaling", "Write a letter to Lucía on Sundays", 1, None),
            ("nature", "Tend the winter garden, ten minutes a day", 5,
             "Plant one bulb for Lucía each week"),
        ],
        "intentions": {
            "preparation": "To let the grief be without drowning in it.",
            "dosing": "To feel Lucía's presence with love.",
        },
    },
}

SUMMARIES = {
    "preparation": "Reviewed medical screening, set expectations for the dosing sessions and "
                   "practised the breath anchor. Explored what the patient hopes for and "
                   "agreed on first small daily practices.",
    "dosing": "Dosing session as planned. The patient went inward after about ten minutes, "
              "came back gently, and shared imagery and feelings in the last half hour. "
              "Vitals within expected range unless noted.",
    "integration": "Integration session. Revisited the imagery of the dosing session, "
                   "reflected the patient's own words back, reviewed practice since last time "
                   "and agreed on adjustments.",
    "check_in": "Brief call between sessions: practice going on, sleep settled, no new "
                "concerns.",
}
ADDENDUM = ("Correction: the patient reported after the session that the walk happened four "
            "times, not three. Practice count for the week should read 4.")
