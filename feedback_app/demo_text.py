"""Made-up answers for the demo data: what children, parents and practitioners might write.

Every answer is invented; none comes from a real person. Each free-text question has a
few *topics*; each topic has a *trend* (how common it is across the four years) and a
handful of ways of saying it. ``feedback_app.demo`` picks topics by their weight at a
round's date, so some themes rise, some fall, Covid-19 comes and goes, and one topic
appears only in the last round.

Trends: ``steady``, ``rise``, ``fall``, ``covid`` (from March 2020 to the end of 2021),
``late`` (from 2022) and ``last`` (only in the final round of a questionnaire).
"""

from __future__ import annotations

# (trend, weight, texts) per topic, per (questionnaire slug, question key).
Topic = tuple[str, float, tuple[str, ...]]

CHILD_OPENERS = ("", "", "", "I think ", "Honestly ", "Um ", "To be honest ")
CHILD_CLOSERS = ("", "", "", "", " Thats all.", " Thank you for asking me.", " I dont know what else to say.")
ADULT_OPENERS = ("",)  # adults' answers start with the point (many are suggestions)
ADULT_CLOSERS = ("", "", "", "", " Happy to discuss further.", " Thank you.")

TEXT_BANK: dict[tuple[str, str], tuple[Topic, ...]] = {
    # ------------------------------------------------------------ children
    ("children", "what_helped"): (
        ("rise", 1.4, (
            "my social worker listened to me and didnt rush me",
            "they asked me what I wanted and actually listened",
            "my worker talked to me on my own and took me seriously",
            "someone finally listened to what I said about home",
            "they believed me when I told them",
        )),
        ("steady", 1.2, (
            "my teacher checked on me every morning at school",
            "school gave me breakfast club and a quiet place to go",
            "the lady at school who I could talk to when I was sad",
            "my head of year let me have time out when I needed it",
        )),
        ("rise", 1.0, (
            "I had the same social worker the whole time so I got to know her",
            "my social worker was kind and always came when she said she would",
            "she was really nice and helped me with stuff",
            "my worker was friendly and I could trust him",
        )),
        ("steady", 0.9, (
            "we got food and new clothes and my room got a proper bed",
            "they helped mum get the house sorted and the heating fixed",
            "we got vouchers for food and I got school shoes that fit",
        )),
        ("rise", 0.8, (
            "they told me what my plan was and I went to part of the meeting",
            "I was asked what I thought before the meeting",
            "my social worker explained my child protection plan so I understood it",
        )),
        ("covid", 0.8, (
            "in lockdown my worker still phoned me every week",
            "they did video calls with me when we couldnt go to school",
            "school let me come in during lockdown which helped",
        )),
        ("steady", 0.5, (
            "going to CAMHS helped me with my worries",
            "the counsellor helped me understand my feelings",
        )),
        ("steady", 0.25, ("nothing really", "not much", "I dont know")),
    ),
    ("children", "what_did_not_help"): (
        ("fall", 1.6, (
            "my social worker kept changing and I had to tell my story again",
            "I had four different social workers and I didnt know any of them",
            "when my social worker left nobody told me",
            "every time I got used to someone they changed",
        )),
        ("fall", 1.0, (
            "nobody listened to me they only talked to mum",
            "I felt ignored in the meetings",
            "they didnt ask me what I wanted",
            "adults talked about me but not to me",
        )),
        ("steady", 0.9, (
            "the meetings were long and boring and I didnt understand the words",
            "I didnt know I was on a plan until someone said it at school",
            "nobody explained what the plan was for",
        )),
        ("steady", 0.8, (
            "it took ages for anything to change",
            "we waited months for help",
            "nothing changed for a long time",
        )),
        ("covid", 0.7, (
            "in lockdown I couldnt see anyone and it was hard",
            "video calls were awkward and I couldnt talk properly with mum in the room",
        )),
        ("late", 0.7, (
            "there still wasnt enough food at home some weeks",
            "the house was cold because we couldnt pay the electric",
        )),
        ("last", 0.9, (
            "nobody asked about me looking after my little brother",
            "I am a young carer for my mum and nobody knew",
            "I have to look after my sister when mum is poorly and I get tired at school",
        )),
        ("steady", 0.4, ("nothing", "nothing it was fine", "I dont know really")),
    ),
    ("children", "what_could_be_better"): (
        ("steady", 1.4, (
            "listen to children more and believe them",
            "ask us what we think before you decide things",
            "talk to children on their own not just with their parents",
        )),
        ("fall", 1.1, (
            "keep the same social worker so you dont have to start again",
            "tell children when their social worker is leaving",
            "dont keep changing workers",
        )),
        ("rise", 0.9, (
            "explain the plan in words children understand",
            "let children come to the meetings if they want",
            "tell children they are on a plan and what it means",
        )),
        ("steady", 0.8, (
            "make sure kids have food and clean clothes",
            "help families with money so they can buy food",
        )),
        ("steady", 0.6, (
            "have someone at school you can talk to every day",
            "teachers should check on kids who seem sad",
        )),
        ("last", 0.8, (
            "help young carers so we can still go out with friends",
            "ask if kids are caring for someone at home",
        )),
        ("steady", 0.3, ("nothing", "I dont know", "be nicer")),
    ),
    # ------------------------------------------------------------ parents
    ("parents", "what_worked_well"): (
        ("rise", 1.3, (
            "Our social worker listened to us and didn't judge",
            "The family support worker really listened and we felt heard for the first time",
            "They took my views seriously and explained everything",
        )),
        ("steady", 1.0, (
            "Early help came quickly and helped with routines at home",
            "The family support worker helped me set up bedtimes and meals",
            "Early help sorted the referral to the food bank and the children's centre",
        )),
        ("steady", 1.0, (
            "School have been brilliant, the DSL checks in with my son every day",
            "The school nurse and the teacher worked together and kept me informed",
        )),
        ("rise", 0.8, (
            "The health visitor, school and social worker all shared the same plan",
            "Having everyone in one meeting meant I didn't repeat myself",
            "Agencies worked together and communicated with each other",
        )),
        ("steady", 0.7, (
            "Help with housing and the damp in the children's bedroom",
            "We got help with debts and benefits so the children had food and clothes",
        )),
        ("covid", 0.6, (
            "During lockdown the worker phoned every week which kept me going",
            "Video calls meant I didn't have to travel with the baby",
        )),
        ("steady", 0.3, ("Nothing really", "Not a lot")),
    ),
    ("parents", "what_did_not_work"): (
        ("fall", 1.4, (
            "We had three social workers in a year and had to start again each time",
            "The social worker changed and the new one hadn't read the file",
            "Constant changes of worker meant nobody knew us",
        )),
        ("steady", 1.0, (
            "Meetings felt like we were being judged rather than helped",
            "Nobody explained the child protection plan in plain English",
            "Too many professionals at the conference, it was overwhelming",
        )),
        ("steady", 1.0, (
            "Waiting months for CAMHS while my daughter got worse",
            "The referral took ages and nothing happened for weeks",
            "Delay after delay with the housing repairs",
        )),
        ("fall", 0.8, (
            "I didn't feel listened to, they had already made their minds up",
            "My views were ignored in the meetings",
        )),
        ("covid", 0.6, (
            "Lockdown meant no face to face visits and I struggled on my own",
            "Online meetings were hard with the children at home",
        )),
        ("late", 0.9, (
            "The cost of living means we still can't afford the heating",
            "Food and electric bills went up and the support didn't keep up",
        )),
        ("steady", 0.3, ("Nothing, it all worked", "Can't think of anything")),
    ),
    ("parents", "what_could_agencies_do_differently"): (
        ("steady", 1.3, (
            "Listen to parents and work with us not against us",
            "Treat parents with respect and explain what you are worried about",
        )),
        ("fall", 1.1, (
            "Keep the same worker with a family for the whole plan",
            "Tell families before a worker leaves and introduce the new one",
        )),
        ("steady", 1.0, (
            "Offer help earlier before things get bad",
            "Make early help easier to get without a referral from social care",
        )),
        ("rise", 0.8, (
            "Share information between agencies so we don't repeat our story",
            "School, health and social care should talk to each other more",
        )),
        ("late", 0.8, (
            "Help families with the cost of living, food and heating",
            "Practical help with money and bills would make the biggest difference",
        )),
        ("last", 0.7, (
            "Think about children who care for a parent and give them a break",
            "Ask whether the older children are looking after the younger ones",
        )),
    ),
    # ------------------------------------------------------------ practitioners
    ("practitioners", "strategy_knowledge_comments"): (
        ("rise", 1.4, (
            "I attended the neglect strategy briefing and know where to find the tools on the webpage",
            "Our team had a workshop on the strategy and I know what is expected of me",
            "The e-learning on the neglect strategy was clear and useful",
        )),
        ("fall", 1.2, (
            "I have heard of the strategy but have not read it",
            "Not aware of the strategy beyond an email",
            "I know very little about the strategy and would welcome training",
        )),
        ("fall", 0.7, (
            "We still use the old NIMT tool in our team",
            "Some colleagues are still working to the previous strategy",
        )),
        ("rise", 0.8, (
            "Our neglect champion cascaded the strategy in the team meeting",
            "I get advice from the neglect champion when I need it",
        )),
        ("covid", 0.6, (
            "Training moved online during the pandemic which made it easier to attend",
            "Virtual briefings on the strategy were well run",
        )),
    ),
    ("practitioners", "tools_barriers"): (
        ("steady", 1.3, (
            "Time is the main barrier, caseloads are too high to complete the tools properly",
            "No time to do the day in my life tool with every child",
            "The tools take longer than we have with current workload pressures",
        )),
        ("rise", 1.0, (
            "The chronology tool is really useful once you get going",
            "Parent/child observation gives good evidence for conferences",
            "The assessment checklist helps structure my thinking",
        )),
        ("fall", 1.0, (
            "I have not had training on the tools so lack confidence using them",
            "Not sure which tool to use when",
            "We need more training on the SDQ",
        )),
        ("steady", 0.8, (
            "The tools do not fit our recording system so information is entered twice",
            "Mosaic does not have a form for the tools",
        )),
        ("covid", 0.6, (
            "Hard to do observations during Covid with virtual visits only",
            "Lockdown meant the tools were not used with families",
        )),
        ("last", 0.6, (
            "Families are struggling with the cost of living crisis and the tools do not capture that pressure",
            "The cost of living crisis makes it harder to separate poverty from poor care",
        )),
    ),
    ("practitioners", "howe_model_barriers"): (
        ("fall", 1.2, (
            "I do not know enough about the Howe model to use it",
            "Not heard of the Howe model",
            "Need training on the Howe model",
        )),
        ("rise", 0.9, (
            "The Howe model helps in supervision to think about the type of neglect",
            "Using the Howe model in reflective supervision has been helpful",
        )),
        ("steady", 0.8, (
            "No time to apply the Howe model with current caseloads",
            "Workload pressures get in the way",
        )),
        ("steady", 0.4, ("None", "No barriers")),
    ),
    ("practitioners", "intervention_barriers"): (
        ("steady", 1.3, (
            "Social care thresholds feel out of reach so families are stepped down to early help too soon",
            "Early help referrals are bounced back and cases drift",
            "Families only get help when things reach crisis point",
        )),
        ("rise", 1.2, (
            "Recruitment and retention of social workers, too many agency staff",
            "Vacancies in the team mean high caseloads",
            "Staff turnover means families keep having to start again",
        )),
        ("steady", 1.0, (
            "Parental substance misuse and mental health services have long waiting lists",
            "Domestic abuse and parental mental health sit behind most of our neglect cases",
        )),
        ("steady", 0.9, (
            "Information sharing between agencies is still patchy",
            "Health are not always invited to strategy meetings",
        )),
        ("covid", 0.7, (
            "Covid restrictions meant we could not see children in their homes",
            "Remote working made it harder to see how children were living",
        )),
        ("late", 0.8, (
            "Poverty and the cost of living are making it harder for families to meet basic needs",
            "Food bank use has risen and families cannot afford heating",
        )),
        ("last", 0.5, (
            "The cost of living crisis is pushing families who were coping into neglect",
        )),
    ),
    ("practitioners", "operational_changes"): (
        ("steady", 1.3, (
            "Smaller caseloads so we have time to do direct work",
            "Protected time to complete chronologies",
        )),
        ("rise", 1.0, (
            "Joint visits with health and education",
            "Better information sharing and a single multi-agency plan",
        )),
        ("steady", 0.9, (
            "Regular supervision with a focus on neglect and drift",
            "Management oversight of plans that are open too long",
        )),
        ("rise", 0.8, (
            "More neglect champions in each team",
            "Access to specialist training for champions",
        )),
        ("late", 0.7, (
            "A fund for practical help such as beds, food and heating",
            "Link families to money advice and food banks as part of the plan",
        )),
    ),
    # ------------------------------------------------------------ champions
    ("champions", "successes"): (
        ("rise", 1.4, (
            "An increase in the use of the neglect tools in our area",
            "More colleagues asking for advice about the chronology tool",
            "The day in my life tool is now used in most assessments",
        )),
        ("rise", 1.0, (
            "Uptake of advice from the neglect champions has increased",
            "Champions network meeting was well attended",
        )),
        ("steady", 0.8, (
            "Training sessions were full and feedback was positive",
            "Confidence in recognising neglect has improved after the workshop",
        )),
        ("steady", 0.3, ("Nothing to report", "None this period")),
    ),
    ("champions", "risks_barriers"): (
        ("rise", 1.3, (
            "Difficulty in recruiting neglect champions for the service",
            "Staff turnover means we lose trained champions",
            "Vacancies across the team",
        )),
        ("fall", 1.0, (
            "Barriers to accessing specialist training for the champions",
            "No date yet for the champions training",
        )),
        ("steady", 0.9, (
            "Workload pressures leave no time for the champion role",
            "Champion role not protected in job plans",
        )),
        ("steady", 0.7, (
            "Ongoing examples of poor practice around drift in plans",
            "Some plans still open for too long without change",
        )),
        ("covid", 0.6, (
            "Covid-19 meant face to face sessions were cancelled",
            "Lockdown paused the champions meetings",
        )),
    ),
    ("champions", "impact_on_practice"): (
        ("rise", 1.3, (
            "Practitioners are more confident using the tools",
            "Assessments now include the child's lived experience",
            "Better quality chronologies at conference",
        )),
        ("steady", 0.9, (
            "Better joint working with health and schools",
            "Information sharing has improved",
        )),
        ("fall", 0.7, (
            "Too early to say",
            "Little change seen yet",
        )),
    ),
    ("champions", "good_practice"): (
        ("steady", 1.2, (
            "A practitioner used the day in my life tool to show the impact of neglect on a baby",
            "Excellent chronology presented at conference that changed the plan",
        )),
        ("rise", 1.0, (
            "School DSL and social worker working together to get a child to school every day",
            "Health visitor shared concerns early and the family got early help",
        )),
        ("steady", 0.8, (
            "A worker who really listened to a young person and acted on their views",
            "Direct work that made sure the child's voice was heard at conference",
        )),
    ),
    ("champions", "support_needed"): (
        ("steady", 1.2, (
            "Protected time for the champion role",
            "Dates for the next champions training",
        )),
        ("rise", 0.9, (
            "Help with recruiting more champions",
            "Support from managers to release staff for training",
        )),
        ("covid", 0.6, ("Guidance on virtual visits during Covid",)),
        ("late", 0.7, ("Guidance on poverty and the cost of living",)),
    ),
    # ------------------------------------------------------------ action plan summary
    ("action-plan-summary", "progress_against_plan"): (
        ("steady", 1.0, ("Neglect training delivered to front line staff; tools promoted at team meetings",
                         "Champions in place in each team; audit of tool use completed",
                         "Strategy launched internally; briefings delivered")),
    ),
    ("action-plan-summary", "barriers_and_risks"): (
        ("rise", 1.0, ("Recruitment and retention of staff", "Vacancies and sickness in front line teams")),
        ("steady", 1.0, ("Workload pressures limit time for training", "Capacity to release staff")),
        ("covid", 0.8, ("Covid-19 restrictions paused face to face training",)),
    ),
    ("action-plan-summary", "difference_for_children"): (
        ("rise", 1.0, (
            "Audits show the child's lived experience is clearer in assessments",
            "Fewer repeat child protection plans for neglect",
        )),
        ("fall", 0.6, ("Too early to evidence impact for children",)),
    ),
    ("action-plan-summary", "difference_for_practitioners"): (
        ("rise", 1.0, (
            "More staff trained and reporting confidence in recognising neglect",
            "Vacancy rate dropped and caseloads reduced",
        )),
        ("steady", 0.6, ("Staff report the tools are helpful but time consuming",)),
    ),
    ("action-plan-summary", "next_steps"): (
        ("steady", 1.0, (
            "Repeat the audit of tool use next quarter",
            "Further training dates booked",
            "Recruit champions in teams without one",
        )),
    ),
    ("action-plan-summary", "direction_of_travel"): (
        ("rise", 1.0, ("Improving", "Steady improvement")),
        ("fall", 0.6, ("Static", "Mixed progress")),
    ),
    # ------------------------------------------------------------ multi-agency audit
    ("multi-agency-audit", "good_practice"): (
        ("steady", 1.0, (
            "Strong multi-agency working and information sharing between school and health",
            "The child's voice is clear throughout the record",
            "Chronology kept up to date and used to review progress",
        )),
    ),
    ("multi-agency-audit", "lessons_learnt"): (
        ("fall", 1.0, (
            "Drift in the plan; earlier escalation needed",
            "Changes of social worker led to delay",
        )),
        ("steady", 1.0, (
            "Use the neglect tools earlier in the assessment",
            "Involve the father and wider family in planning",
            "Share information with the GP sooner",
        )),
    ),
}

# Evidence for an audit answer, by the answer given (Yes / Partly / No).
AUDIT_EVIDENCE: dict[str, tuple[str, ...]] = {
    "Yes": (
        "Clearly recorded in the assessment and plan",
        "Evidence in case notes and the core group minutes",
        "Chronology and direct work show this",
    ),
    "Partly": (
        "Some evidence but not consistent across agencies",
        "Recorded by social care but not by health",
        "Improved after the conference but drift before it",
    ),
    "No": (
        "No evidence found in the records",
        "Not recorded; delay in escalation",
        "Plan not reviewed for several months",
    ),
}
