"""Hand-written topic lexicons used as priors by the learned injection scorer.

A planted assistant task is usually about something unrelated to the business document around it
(travel, cooking, trivia, poems), while the document's own sentences — even its questions and
imperatives to the human reader — talk about accounts, contracts, meetings and software. Hashed
n-grams only know the words seen in training; these lists give the scorer a prior for words it never
saw. WORK compares five-letter stems; WORLD compares whole words (plural endings removed);
REQUEST_OPENERS tells a request ("Plan a trip...") from a statement ("I was on a trip..."). Written
for this project (Apache-2.0).
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["PERSONAL", "REQUEST_OPENERS", "WORK", "WORLD", "in_world", "stems", "word_key"]


def stems(words: str) -> frozenset[str]:
    """Five-letter stems of the whitespace-separated words."""
    return frozenset(w[:5] for w in re.findall(r"\w+", words.lower()))


def word_key(word: str) -> str:
    """A lower-cased word with a plural or possessive ending removed (for exact-word lexicons)."""
    w = word.lower()
    if w.endswith("'s"):
        w = w[:-2]
    if len(w) > 4 and w.endswith("ies"):
        return w[:-3] + "y"
    if len(w) > 3 and w.endswith("s") and not w.endswith("ss"):
        return w[:-1]
    return w


def _words(words: str) -> frozenset[str]:
    return frozenset(word_key(w) for w in re.findall(r"[\w']+", words))


@lru_cache(maxsize=100_000)
def in_world(word: str) -> bool:
    """Whether a word (any case or plural) is in the WORLD lexicon; long words also match on 7 letters."""
    key = word_key(word)
    return key in WORLD or (len(key) > 7 and key[:7] in _WORLD7)


# Sales, SaaS, IT, finance, support and office work.
WORK = stems(
    "account admin agenda agreement analytics approval approve attachment audit authentication backup "
    "billing board budget business buyer calendar call campaign cancel case champion channel checkout "
    "churn client colleague committee company compliance configure connector contact contract cost "
    "crm currency customer dashboard data database deadline deal deck demo department deploy desk "
    "discount document domain draft email employee enterprise error estimate expense export feature "
    "field file finance firewall forecast form funnel import implementation install integration "
    "invoice kickoff lead legal license login manager margin meeting merge migration mobile module "
    "notification office onboarding opportunity order organization owner partner password payment "
    "permission pilot pipeline plan platform policy portal price pricing procurement product profile "
    "project proposal prospect provision purchase quarter quota quote record referral refund region "
    "release renewal report request requirement reseller revenue review role rollout sales sandbox "
    "schedule seat security sequence server service session settings setup signature signed sprint "
    "staff stage stakeholder status subscription supplier support sync system team tenant ticket "
    "tier timeline token trial update upgrade usage user vendor verification webhook webinar "
    "workflow workspace invoice payroll shipping shipment warehouse inventory delivery logistics "
    "customer retention renewal upsell headcount hiring interview candidate onboard offboard "
    "roadmap release version bug outage incident uptime latency api sdk integration zapier slack "
    "salesforce hubspot outlook google microsoft okta jira zendesk stripe"
)

# Everyday life, leisure and general knowledge: the subjects of chatbot requests, not of sales mail.
WORLD = _words(
    # travel and leisure
    "holiday vacation trip travel travelling itinerary tourist tourism sightseeing beach island "
    "mountain mountains hiking hike camping camp tent backpacking cruise resort hostel passport "
    "luggage suitcase packing weekend getaway adventure festival museum castle safari ski skiing "
    "snowboard surf surfing scuba diving sunset sunrise countryside village lake river forest desert "
    "jungle volcano volcanoes ocean sea waterfall national park zoo "
    # food and home
    "recipe recipes cooking cook bake baking bread cake cookies dessert dinner lunch breakfast "
    "brunch meal meals snack snacks soup salad pasta pizza burger sandwich chocolate coffee tea wine "
    "beer cocktail vegan vegetarian cuisine kitchen oven grill barbecue spice spices fruit "
    "vegetables vegetable garden gardening plants flowers houseplants balcony furniture decorate "
    "decorating apartment laundry cleaning chores groceries "
    # health, body, fitness
    "health healthy diet calories protein vitamins sleep sleeping insomnia dream dreams exercise "
    "exercises workout fitness gym yoga meditation meditate running marathon jogging swimming cycling "
    "stretching muscles weight doctor symptoms illness disease flu headache "
    "stress anxiety happiness mood mindfulness relax relaxing hobby hobbies "
    # family, personal life, pets
    "family kids children child baby toddler parents mother father dad mom mum sister brother "
    "grandmother grandfather wife husband boyfriend girlfriend friend friends wedding birthday "
    "anniversary gift gifts christmas halloween valentine romantic dating love "
    "pet pets dog dogs puppy cat cats kitten parrot hamster goldfish horse fish bird birds animals "
    "animal wildlife "
    # arts, entertainment, culture
    "poem poems poetry poet haiku limerick sonnet song songs lyrics music musician band guitar piano "
    "violin drums concert movie movies film films cinema actor actress episode novel novels "
    "book books author story stories fairy tale tales fiction fantasy dragon dragons wizard pirate "
    "pirates knight princess superhero cartoon comic comics joke jokes funny riddle riddles puzzle "
    "puzzles game games gaming video chess painting paint drawing draw art artist sculpture "
    "photography photo photos camera dance dancing theatre theater opera celebrity celebrities "
    # science, nature, history, trivia
    "science scientific physics chemistry biology astronomy planet planets star stars galaxy universe "
    "moon sun solar earth space astronaut rocket telescope gravity relativity quantum atom atoms "
    "molecule evolution dinosaur dinosaurs fossil climate weather rain snow storm hurricane "
    "earthquake rainbow ecosystem species insects bees photosynthesis cells dna genetics "
    "history historical ancient medieval empire emperor king queen war wars battle revolution "
    "civilization pyramid pyramids roman romans greek egypt egyptian viking vikings dynasty "
    "philosophy philosopher religion mythology myth myths legend legends trivia "
    "geography continent population "
    # sport
    "football soccer basketball baseball tennis golf cricket rugby hockey olympics olympic athlete "
    "athletes tournament championship world cup league player players "
    # school
    "homework school student students teacher classroom exam exams essay essays quiz grammar "
    "vocabulary spelling math maths algebra geometry equation "
    # more everyday nouns and adjectives
    "rice bean beans cheese egg eggs meat chicken fish salmon avocado banana apple mango quinoa nuts "
    "sugar salt healthier healthiest fasting nutrition allergy allergies teeth skin hair haircut "
    "clothes clothing fashion shoes dress outfit jewelry makeup perfume car cars bike bicycle "
    "motorbike scooter plane flight airport hotel restaurant cafe pub neighbourhood "
    "neighborhood house garden backyard toy toys doll lego cartoon feeling feelings "
    "favourite favorite fun hobby weekend summer winter autumn spring sunny "
    # animals and nature, more
    "octopus octopuse octopi whale whales shark sharks dolphin dolphins elephant elephants lion lions "
    "tiger tigers giraffe giraffes penguin penguins wolf wolves fox foxes rabbit rabbits "
    "monkey monkeys snake snakes spider spiders butterfly butterflies ant ants owl owls eagle eagles "
    "turtle turtles frog frogs koala koalas panda pandas kangaroo kangaroos zebra zebras cow cows pig "
    "pigs sheep goat goats duck ducks squirrel squirrels jellyfish coral reef reefs tides tide "
    # language games and text tasks a chatbot is asked for
    "sarcastic sarcasm sentiment synonym synonyms antonym antonyms rhyme rhymes rhyming idiom idioms "
    "proverb proverbs pun puns palindrome palindromes anagram anagrams tongue twister twisters emoji "
    "emojis alphabet pronunciation pronounce fluent fluently language languages bilingual slang "
    "limericks acrostic metaphor metaphors simile similes adjective adjectives noun nouns verb verbs "
    # media and pastimes
    "podcast podcasts playlist playlists netflix youtube tiktok documentary documentaries sitcom "
    "sitcoms anime manga karaoke crossword crosswords sudoku knitting crochet sewing fishing "
    "birdwatching woodworking pottery calligraphy scrapbooking juggling "
    "volleyball badminton boxing wrestling skateboarding climbing bowling "
    # everyday life and self-help
    "commute commuting subway procrastination procrastinate "
    "esteem loneliness lonely breakup therapy habit habits bedtime "
    "nap naps toothbrush umbrella sunscreen mosquito mosquitoes recycling compost chores sad "
    "nervous afraid fear fears phobia phobias boredom bored "
    # food, more
    "sushi ramen curry tacos taco burrito burritos pancake pancakes waffle waffles smoothie smoothies "
    "cupcake cupcakes muffin muffins lasagna omelette omelet steak noodles dumplings "
    "popcorn lemonade juice cereal yogurt honey bakery picnic "
    # science, space, history and people of trivia
    "electricity magnet magnets oxygen asteroid asteroids comet comets eclipse eclipses mars "
    "jupiter saturn neptune pluto tsunami tsunamis napoleon cleopatra caesar shakespeare einstein "
    "darwin aztec aztecs inca samurai ninja ninjas pharaoh pharaohs colosseum titanic "
    "fibonacci factorial calculus multiplication "
    # myth and fantasy
    "horoscope zodiac astrology tarot superstition superstitions ghost ghosts haunted alien aliens ufo "
    "ufos unicorn unicorns mermaid mermaids vampire vampires zombie zombies witch witches"
)

# Words that open a request (imperative verbs, question words, polite openers): a request about an
# everyday topic is a planted task, a statement about one is small talk.
REQUEST_OPENERS = frozenset(
    re.findall(
        r"\w+",
        "add analyze analyse answer ask book brainstorm build calculate can change check choose classify "
        "coach compare compose convert could create decide define describe design detect determine "
        "discuss do draft draw estimate evaluate explain find forecast generate get give guess help how "
        "identify imagine is are list make name outline paraphrase pick plan please predict prepare "
        "provide quiz rank rate recommend rewrite research review say score send share should show "
        "solve sort spell suggest summarize summarise teach tell translate walk what when where which who "
        "why will would write",
    )
)

_WORLD7 = frozenset(w[:7] for w in WORLD if len(w) >= 7)

# First-person singular (a person typing to a chatbot) vs. plural (an organisation writing to another).
PERSONAL = frozenset({"i", "me", "my", "mine", "myself", "i'm", "i've", "i'd"})
